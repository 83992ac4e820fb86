//! The issuer's optional logo: a PNG or JPEG checked once (type by its magic bytes, file size,
//! pixel size) and kept ready to embed. A JPEG goes into the PDF as is (DCTDecode); a PNG is
//! decoded to 8-bit gray or RGB with its alpha as a soft mask (FlateDecode), so transparency
//! prints as paper, not black.

use std::fmt;

/// Largest logo file accepted: it is embedded whole in every invoice sent by WhatsApp.
pub const MAX_LOGO_BYTES: usize = 1024 * 1024;
/// Pixel size bounds per side: below, it is not a logo; above, decoding costs memory for
/// nothing a 40-point-high printout can show.
pub const MIN_LOGO_SIDE: u32 = 16;
pub const MAX_LOGO_SIDE: u32 = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoFormat {
    Png,
    Jpeg,
}

impl LogoFormat {
    /// The file extension the content-addressed store uses.
    pub fn extension(self) -> &'static str {
        match self {
            LogoFormat::Png => "png",
            LogoFormat::Jpeg => "jpg",
        }
    }
}

/// Why a file cannot be the logo. The texts name what to do, for the settings screen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    #[error("the logo is {bytes} bytes; at most {max} (1 MB) are accepted", max = MAX_LOGO_BYTES)]
    TooLarge { bytes: u64 },
    #[error("the file is not a PNG or JPEG image")]
    NotAnImage,
    #[error("the image is {width}×{height} pixels; each side must be between {MIN_LOGO_SIDE} and {MAX_LOGO_SIDE}")]
    PixelSize { width: u32, height: u32 },
    #[error("unsupported image: {0}")]
    Unsupported(&'static str),
    #[error("the image is damaged: {0}")]
    Corrupt(String),
}

/// Decoded pixels ready for a PDF image.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Pixels {
    /// The JPEG file itself, with its number of colour components (1 gray, 3 RGB).
    Jpeg { components: u8 },
    /// 8-bit samples, one (gray) or three (RGB) per pixel, and the alpha channel if any.
    Raw {
        rgb: bool,
        samples: Vec<u8>,
        alpha: Option<Vec<u8>>,
    },
}

/// A checked logo.
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    format: LogoFormat,
    width: u32,
    height: u32,
    /// The file as given (what the store keeps; a JPEG is embedded from it).
    bytes: Vec<u8>,
    pub(crate) pixels: Pixels,
}

// Not the pixels: a Debug print of a document must stay readable.
impl fmt::Debug for Logo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logo")
            .field("format", &self.format)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl Logo {
    /// Checks `bytes` and decodes them: by their magic bytes (never the file name), at most
    /// [`MAX_LOGO_BYTES`], sides between [`MIN_LOGO_SIDE`] and [`MAX_LOGO_SIDE`] pixels.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Logo, LogoError> {
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(LogoError::TooLarge {
                bytes: bytes.len() as u64,
            });
        }
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            let (width, height, pixels) = decode_png(&bytes)?;
            Ok(Logo {
                format: LogoFormat::Png,
                width,
                height,
                bytes,
                pixels,
            })
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            let (width, height, components) = jpeg_frame(&bytes)?;
            Ok(Logo {
                format: LogoFormat::Jpeg,
                width,
                height,
                bytes,
                pixels: Pixels::Jpeg { components },
            })
        } else {
            Err(LogoError::NotAnImage)
        }
    }

    pub fn format(&self) -> LogoFormat {
        self.format
    }
    pub fn width(&self) -> u32 {
        self.width
    }
    pub fn height(&self) -> u32 {
        self.height
    }
    /// The file as given.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The size (points) that fits `max_w` × `max_h` keeping the aspect ratio.
    pub(crate) fn fit(&self, max_w: f32, max_h: f32) -> (f32, f32) {
        let (w, h) = (self.width as f32, self.height as f32);
        let scale = (max_w / w).min(max_h / h);
        (w * scale, h * scale)
    }
}

fn check_sides(width: u32, height: u32) -> Result<(), LogoError> {
    let ok = |s: u32| (MIN_LOGO_SIDE..=MAX_LOGO_SIDE).contains(&s);
    if ok(width) && ok(height) {
        Ok(())
    } else {
        Err(LogoError::PixelSize { width, height })
    }
}

fn decode_png(bytes: &[u8]) -> Result<(u32, u32, Pixels), LogoError> {
    let corrupt = |e: png::DecodingError| LogoError::Corrupt(e.to_string());
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    // Palette and low bit depths to 8-bit samples, 16-bit to 8: what a PDF image takes simply.
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(corrupt)?;
    let (width, height) = {
        let info = reader.info();
        (info.width, info.height)
    };
    // Before allocating the frame: the header alone tells a 1 MB file that inflates to GBs.
    check_sides(width, height)?;
    let size = reader
        .output_buffer_size()
        .ok_or(LogoError::Unsupported("image too large to decode"))?;
    let mut buf = vec![0; size];
    let frame = reader.next_frame(&mut buf).map_err(corrupt)?;
    buf.truncate(frame.buffer_size());
    if frame.bit_depth != png::BitDepth::Eight {
        return Err(LogoError::Unsupported("PNG bit depth"));
    }
    let (channels, rgb, has_alpha) = match frame.color_type {
        png::ColorType::Grayscale => (1, false, false),
        png::ColorType::GrayscaleAlpha => (2, false, true),
        png::ColorType::Rgb => (3, true, false),
        png::ColorType::Rgba => (4, true, true),
        png::ColorType::Indexed => return Err(LogoError::Unsupported("PNG palette")),
    };
    let pixels = if has_alpha {
        let colour = channels - 1;
        let n = (width * height) as usize;
        let mut samples = Vec::with_capacity(n * colour);
        let mut alpha = Vec::with_capacity(n);
        for px in buf.chunks_exact(channels) {
            samples.extend_from_slice(&px[..colour]);
            alpha.push(px[colour]);
        }
        // Fully opaque: no mask to carry.
        let alpha = alpha.iter().any(|&a| a != 255).then_some(alpha);
        Pixels::Raw {
            rgb,
            samples,
            alpha,
        }
    } else {
        Pixels::Raw {
            rgb,
            samples: buf,
            alpha: None,
        }
    };
    Ok((width, height, pixels))
}

/// Width, height and colour components from the JPEG's start-of-frame marker.
fn jpeg_frame(bytes: &[u8]) -> Result<(u32, u32, u8), LogoError> {
    let truncated = || LogoError::Corrupt("JPEG ends before its frame header".into());
    let mut i = 2;
    loop {
        // Markers are 0xFF followed by a code; extra 0xFF are fill bytes.
        if *bytes.get(i).ok_or_else(truncated)? != 0xFF {
            return Err(LogoError::Corrupt("JPEG marker expected".into()));
        }
        while bytes.get(i) == Some(&0xFF) {
            i += 1;
        }
        let marker = *bytes.get(i).ok_or_else(truncated)?;
        i += 1;
        match marker {
            // Standalone markers carry no length.
            0x01 | 0xD0..=0xD7 => continue,
            0xD9 | 0xDA => return Err(truncated()),
            _ => {}
        }
        let len = u16::from_be_bytes([
            *bytes.get(i).ok_or_else(truncated)?,
            *bytes.get(i + 1).ok_or_else(truncated)?,
        ]) as usize;
        if len < 2 {
            return Err(LogoError::Corrupt("JPEG segment length".into()));
        }
        // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let seg = bytes.get(i + 2..i + len).ok_or_else(truncated)?;
            if seg.len() < 6 {
                return Err(truncated());
            }
            if matches!(marker, 0xC3 | 0xC7 | 0xCB | 0xCF) {
                return Err(LogoError::Unsupported("lossless JPEG"));
            }
            if seg[0] != 8 {
                return Err(LogoError::Unsupported(
                    "JPEG with more than 8 bits per sample",
                ));
            }
            let height = u16::from_be_bytes([seg[1], seg[2]]) as u32;
            let width = u16::from_be_bytes([seg[3], seg[4]]) as u32;
            check_sides(width, height)?;
            return match seg[5] {
                c @ (1 | 3) => Ok((width, height, c)),
                4 => Err(LogoError::Unsupported(
                    "CMYK JPEG (save it as RGB or as PNG)",
                )),
                _ => Err(LogoError::Unsupported("JPEG colour components")),
            };
        }
        i += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal JPEG header: SOI, an APP0 to skip, SOF0 with the given size and components.
    fn jpeg_header(width: u16, height: u16, components: u8) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB];
        b.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x08 + 3 * components, 8]);
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&width.to_be_bytes());
        b.push(components);
        b.extend(std::iter::repeat_n(0, 3 * components as usize));
        b.extend_from_slice(&[0xFF, 0xD9]);
        b
    }

    #[test]
    fn the_jpeg_frame_header_gives_size_and_components() {
        assert_eq!(jpeg_frame(&jpeg_header(300, 120, 3)), Ok((300, 120, 3)));
        assert_eq!(jpeg_frame(&jpeg_header(300, 120, 1)), Ok((300, 120, 1)));
        assert!(matches!(
            jpeg_frame(&jpeg_header(300, 120, 4)),
            Err(LogoError::Unsupported(_))
        ));
        assert_eq!(
            jpeg_frame(&jpeg_header(5000, 120, 3)),
            Err(LogoError::PixelSize {
                width: 5000,
                height: 120
            })
        );
        // Cut before the frame header: damaged, not a panic.
        let cut = &jpeg_header(300, 120, 3)[..9];
        assert!(matches!(jpeg_frame(cut), Err(LogoError::Corrupt(_))));
    }

    #[test]
    fn the_type_comes_from_the_magic_bytes_and_the_size_is_bounded() {
        assert_eq!(
            Logo::from_bytes(b"GIF89a....".to_vec()).unwrap_err(),
            LogoError::NotAnImage
        );
        assert_eq!(
            Logo::from_bytes(b"%PDF-1.7".to_vec()).unwrap_err(),
            LogoError::NotAnImage
        );
        let mut big = jpeg_header(300, 120, 3);
        big.resize(MAX_LOGO_BYTES + 1, 0);
        assert_eq!(
            Logo::from_bytes(big).unwrap_err(),
            LogoError::TooLarge {
                bytes: MAX_LOGO_BYTES as u64 + 1
            }
        );
    }

    #[test]
    fn fit_keeps_the_aspect_ratio() {
        let logo = Logo::from_bytes(jpeg_header(400, 100, 3)).unwrap();
        assert_eq!(logo.fit(130.0, 40.0), (130.0, 32.5));
        let tall = Logo::from_bytes(jpeg_header(100, 400, 3)).unwrap();
        assert_eq!(tall.fit(130.0, 40.0), (10.0, 40.0));
    }
}
