//! How keys and values leave memory: [`CacheCodec`] turns them into bytes for the tiers
//! below memory and back.

use bytes::Bytes;
use thiserror::Error;

/// A key or value that could not be turned into bytes, or back.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{direction} of {type_name} failed: {reason}")]
#[non_exhaustive]
pub struct CodecError {
    /// `"encoding"` or `"decoding"`.
    pub direction: &'static str,
    /// The Rust type involved.
    pub type_name: &'static str,
    /// What went wrong.
    pub reason: String,
}

impl CodecError {
    /// An encoding failure of `T`.
    pub fn encode<T: ?Sized>(reason: impl Into<String>) -> Self {
        Self {
            direction: "encoding",
            type_name: std::any::type_name::<T>(),
            reason: reason.into(),
        }
    }

    /// A decoding failure of `T`.
    pub fn decode<T: ?Sized>(reason: impl Into<String>) -> Self {
        Self {
            direction: "decoding",
            type_name: std::any::type_name::<T>(),
            reason: reason.into(),
        }
    }
}

/// A type that can be written to a tier below memory (disk, a shared store) and read back.
///
/// `decode(encode(x)) == x` must hold. The bytes must not depend on the process (no
/// pointers, no random hash order), because a restarted process reads what an earlier one
/// wrote. Decoding must reject bytes it did not write with an error rather than panic: a
/// record can outlive a change of type.
///
/// Implemented for `Bytes`, `Vec<u8>`, `String`, `Box<str>`, the integer types and `bool`;
/// [`Postcard`](crate::cache::Postcard) covers serde types (feature `cache-serde`).
///
/// ```
/// use perfkit::cache::{CacheCodec, CodecError};
///
/// #[derive(Debug, PartialEq)]
/// struct Point { x: i32, y: i32 }
///
/// impl CacheCodec for Point {
///     fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
///         out.extend_from_slice(&self.x.to_le_bytes());
///         out.extend_from_slice(&self.y.to_le_bytes());
///         Ok(())
///     }
///     fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
///         let (x, y) = bytes.split_at_checked(4).ok_or_else(|| CodecError::decode::<Self>("short"))?;
///         let int = |b: &[u8]| b.try_into().map(i32::from_le_bytes)
///             .map_err(|_| CodecError::decode::<Self>("expected 8 bytes"));
///         Ok(Point { x: int(x)?, y: int(y)? })
///     }
/// }
///
/// let mut buf = Vec::new();
/// Point { x: 3, y: -4 }.encode(&mut buf)?;
/// assert_eq!(Point::decode(&buf)?, Point { x: 3, y: -4 });
/// # Ok::<(), CodecError>(())
/// ```
pub trait CacheCodec: Sized {
    /// Appends the bytes of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError>;

    /// Reads a value back from exactly the bytes [`encode`](Self::encode) wrote.
    fn decode(bytes: &[u8]) -> Result<Self, CodecError>;
}

impl CacheCodec for Vec<u8> {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        out.extend_from_slice(self);
        Ok(())
    }

    fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        Ok(bytes.to_vec())
    }
}

impl CacheCodec for Bytes {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        out.extend_from_slice(self);
        Ok(())
    }

    fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        Ok(Bytes::copy_from_slice(bytes))
    }
}

impl CacheCodec for String {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        out.extend_from_slice(self.as_bytes());
        Ok(())
    }

    fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|e| CodecError::decode::<Self>(e.to_string()))
    }
}

impl CacheCodec for Box<str> {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        out.extend_from_slice(self.as_bytes());
        Ok(())
    }

    fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        String::decode(bytes).map(String::into_boxed_str)
    }
}

impl CacheCodec for bool {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        out.push(u8::from(*self));
        Ok(())
    }

    fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        match bytes {
            [0] => Ok(false),
            [1] => Ok(true),
            _ => Err(CodecError::decode::<Self>("expected one byte, 0 or 1")),
        }
    }
}

/// Integers travel as fixed-width little-endian bytes, so they decode the same on every
/// machine and a record of another width is rejected instead of misread.
macro_rules! int_codec {
    ($($t:ty),*) => {$(
        impl CacheCodec for $t {
            fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
                out.extend_from_slice(&self.to_le_bytes());
                Ok(())
            }

            fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
                bytes.try_into().map(<$t>::from_le_bytes).map_err(|_| {
                    CodecError::decode::<Self>(format!(
                        "expected {} bytes, found {}",
                        std::mem::size_of::<$t>(),
                        bytes.len()
                    ))
                })
            }
        }
    )*};
}

int_codec!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128);

/// A serde type stored with [postcard](https://docs.rs/postcard), a compact binary format.
///
/// Use it as the cache's value (or key) type: `TieredCache<u64, Postcard<User>>`. It derefs to
/// the inner value.
///
/// ```
/// use perfkit::cache::{CacheCodec, Postcard};
///
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq, Clone)]
/// struct User { id: u64, name: String }
///
/// let user = Postcard(User { id: 7, name: "ada".into() });
/// let mut buf = Vec::new();
/// user.encode(&mut buf)?;
/// assert_eq!(Postcard::<User>::decode(&buf)?.name, "ada");
/// # Ok::<(), perfkit::cache::CodecError>(())
/// ```
#[cfg(feature = "cache-serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "cache-serde")))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Postcard<T>(pub T);

#[cfg(feature = "cache-serde")]
impl<T> std::ops::Deref for Postcard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(feature = "cache-serde")]
impl<T: serde::Serialize + serde::de::DeserializeOwned> CacheCodec for Postcard<T> {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        let bytes =
            postcard::to_stdvec(&self.0).map_err(|e| CodecError::encode::<T>(e.to_string()))?;
        out.extend_from_slice(&bytes);
        Ok(())
    }

    fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        // `from_bytes` accepts trailing bytes; a record must be exactly one value.
        let (value, rest) =
            postcard::take_from_bytes(bytes).map_err(|e| CodecError::decode::<T>(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CodecError::decode::<T>(format!(
                "{} trailing bytes after the value",
                rest.len()
            )));
        }
        Ok(Postcard(value))
    }
}
