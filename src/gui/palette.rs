//! Every colour the window uses, in one place, for the dark and the light theme.
//! A colour is always shown beside words that say the same thing, never alone.

use eframe::egui::{Color32, Visuals};

use crate::record::Signature;

/// Something failed: errors, refused requests, "Truora would disable".
pub const ERROR: Color32 = Color32::from_rgb(210, 50, 50);
/// Take care: exposed addresses, secrets with spaces, events that left memory.
pub const WARNING: Color32 = Color32::from_rgb(230, 120, 20);
/// A failure ratio past half, not yet past Truora's line.
pub const CAUTION: Color32 = Color32::from_rgb(230, 150, 20);
/// The listener is up.
pub const LISTENING: Color32 = Color32::from_rgb(60, 170, 90);
/// The mark in front of a hint.
pub const HINT: Color32 = Color32::from_rgb(230, 170, 30);

/// One colour for the dark theme and one for the light.
fn tone(visuals: &Visuals, dark: [u8; 3], light: [u8; 3]) -> Color32 {
    let [r, g, b] = if visuals.dark_mode { dark } else { light };
    Color32::from_rgb(r, g, b)
}

/// The colour of a verdict.
pub fn signature(visuals: &Visuals, signature: Signature) -> Color32 {
    match signature {
        Signature::Valid => tone(visuals, [90, 200, 120], [20, 130, 60]),
        // A forger's algorithm is as loud as a wrong signature.
        Signature::Invalid | Signature::UnsupportedAlg => {
            tone(visuals, [240, 100, 100], [190, 30, 30])
        }
        Signature::Malformed => tone(visuals, [240, 170, 70], [170, 90, 0]),
        Signature::Unsigned | Signature::NoSecret => tone(visuals, [160, 160, 170], [95, 95, 105]),
    }
}

/// The token's header, payload and signature, as jwt.io colours them.
pub fn token_parts(visuals: &Visuals) -> [Color32; 3] {
    [
        tone(visuals, [250, 100, 110], [200, 30, 50]),
        tone(visuals, [210, 130, 250], [140, 40, 200]),
        tone(visuals, [60, 190, 240], [0, 120, 190]),
    ]
}

/// JSON strings, numbers and booleans in the claims tree.
pub fn json_string(visuals: &Visuals) -> Color32 {
    tone(visuals, [150, 200, 120], [30, 110, 30])
}

/// See [`json_string`].
pub fn json_number(visuals: &Visuals) -> Color32 {
    tone(visuals, [120, 170, 240], [20, 80, 180])
}

/// See [`json_string`].
pub fn json_bool(visuals: &Visuals) -> Color32 {
    tone(visuals, [220, 150, 220], [140, 40, 140])
}
