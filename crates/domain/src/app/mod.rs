//! The application every wire serves: the domain core and the settings. It sits below the
//! wires and the server, so a wire reaches it without reaching up into the server that
//! assembles them.

pub mod settings;

use crate::core::Core;
pub use settings::Settings;

/// What every handler can reach.
pub struct AppState {
    pub core: Core,
    pub settings: Settings,
}
