import { commands } from "../bindings";

let told = false;

/**
 * Tells the core that the first screen (the conversation list, or the first-run screen) is on
 * screen, once: the work it does not need (sending, the relay, the update check) starts then
 * instead of sharing the CPU with the webview's start-up.
 */
export function firstScreenPainted(): void {
  if (told) return;
  told = true;
  // After the frame that shows it: rAF runs before that paint, a task queued from it after.
  // The mark is scripts/measure-app's "first screen painted" (at most a frame late).
  requestAnimationFrame(() =>
    setTimeout(() => {
      performance.mark("mostrador:first-screen");
      commands.firstScreenPainted().catch(() => undefined);
    }, 0),
  );
}
