//! Typed events: a name the window listens to and the one payload type it carries.

use std::marker::PhantomData;

use serde::Serialize;
use tauri::{Emitter, Runtime};

use super::Describe;

/// An event the core emits to the window. Declare it with [`event!`](crate::event); emit it
/// with [`Event::emit`], which accepts only its payload type.
pub struct Event<T> {
    pub name: &'static str,
    payload: PhantomData<fn(T)>,
}

impl<T: Serialize + Clone> Event<T> {
    #[doc(hidden)]
    pub const fn new(name: &'static str) -> Self {
        Event {
            name,
            payload: PhantomData,
        }
    }

    pub fn emit<R: Runtime>(&self, to: &impl Emitter<R>, payload: T) -> tauri::Result<()> {
        to.emit(self.name, payload)
    }
}

/// What `event!` records about one event.
pub struct EventSpec {
    pub name: &'static str,
    pub docs: &'static str,
    pub describe: fn(&mut Describe),
}

inventory::collect!(EventSpec);

/// Declares a typed event and registers it for the TypeScript bindings:
///
/// ```ignore
/// event! {
///     /// The start-up check found a newer release.
///     pub UPDATE_AVAILABLE: "update-available" => UpdateInfo
/// }
/// ```
#[macro_export]
macro_rules! event {
    ($(#[doc = $doc:literal])* $vis:vis $konst:ident : $name:literal => $payload:ty) => {
        $(#[doc = $doc])*
        $vis const $konst: $crate::ipc::Event<$payload> = $crate::ipc::Event::new($name);

        ::inventory::submit! {
            $crate::ipc::EventSpec {
                name: $name,
                docs: concat!($($doc, "\n",)*),
                describe: {
                    fn describe(d: &mut $crate::ipc::Describe) {
                        d.resolves::<$payload>();
                    }
                    describe
                },
            }
        }
    };
}
