// The update state of the window: fed by the core's commands and its `update-*` events.
import { useCallback, useEffect, useReducer } from "react";
import { asAppError } from "../api";
import { commands, events, onEvent, type UpdateChannel } from "../bindings";
import { initialUpdateState, updateReducer, type UpdateState } from "./state";

export interface Updates {
  state: UpdateState;
  check: () => Promise<void>;
  download: () => Promise<void>;
  restart: () => Promise<void>;
  setChannel: (c: UpdateChannel) => Promise<void>;
  setCheckOnStartup: (enabled: boolean) => Promise<void>;
  dismissBanner: () => void;
}

export function useUpdates(): Updates {
  const [state, dispatch] = useReducer(updateReducer, initialUpdateState);

  const refresh = useCallback(async () => {
    try {
      dispatch({ type: "status", status: await commands.updateStatus() });
    } catch (raw) {
      dispatch({ type: "failed", error: asAppError(raw) });
    }
  }, []);

  useEffect(() => {
    const offAvailable = onEvent(events.updateAvailable, (info) => dispatch({ type: "startup_found", info }));
    const offProgress = onEvent(events.updateProgress, (progress) => dispatch({ type: "progress", progress }));
    // Read the core's state once listening, so a start-up check that finished before is not missed.
    Promise.all([offAvailable, offProgress]).then(refresh, refresh);
    return () => {
      offAvailable.then((f) => f());
      offProgress.then((f) => f());
    };
  }, [refresh]);

  const run = useCallback(async (start: () => void, work: () => Promise<void>) => {
    start();
    try {
      await work();
    } catch (raw) {
      dispatch({ type: "failed", error: asAppError(raw) });
    }
  }, []);

  return {
    state,
    check: () =>
      run(
        () => dispatch({ type: "check_started" }),
        async () => dispatch({ type: "check_done", info: await commands.checkForUpdate() }),
      ),
    download: () =>
      run(
        () => dispatch({ type: "download_started" }),
        async () => {
          const info = await commands.downloadUpdate();
          dispatch({ type: "progress", progress: { state: "downloaded", version: info.version } });
        },
      ),
    restart: () => run(() => dispatch({ type: "install_started" }), () => commands.restartToUpdate()),
    setChannel: (c) =>
      run(
        () => {},
        async () => {
          await commands.setUpdateChannel(c);
          await refresh();
        },
      ),
    setCheckOnStartup: (enabled) =>
      run(
        () => {},
        async () => {
          await commands.setUpdateCheckOnStartup(enabled);
          await refresh();
        },
      ),
    dismissBanner: () => dispatch({ type: "dismiss_banner" }),
  };
}
