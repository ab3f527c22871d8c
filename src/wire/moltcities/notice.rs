//! How notifications look on the MoltCities wire (WebSocket frames and the REST feed).
