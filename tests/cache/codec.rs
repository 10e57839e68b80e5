use perfkit::cache::{CacheCodec, CodecError};

fn round_trip<T: CacheCodec + PartialEq + std::fmt::Debug>(value: T) {
    let mut bytes = Vec::new();
    value.encode(&mut bytes).unwrap();
    assert_eq!(T::decode(&bytes).unwrap(), value);
}

#[test]
fn every_builtin_codec_round_trips() {
    round_trip(b"bytes".to_vec());
    round_trip(bytes::Bytes::from_static(b"shared"));
    round_trip("text".to_string());
    round_trip(Box::<str>::from("boxed"));
    round_trip(true);
    round_trip(false);
    round_trip(u8::MAX);
    round_trip(-7i16);
    round_trip(u32::MAX - 1);
    round_trip(i64::MIN);
    round_trip(u128::MAX);
}

#[test]
fn bytes_a_type_did_not_write_are_rejected() {
    let err: CodecError = String::decode(&[0xff, 0xfe]).unwrap_err();
    assert_eq!(
        (err.direction, err.type_name),
        ("decoding", "alloc::string::String")
    );
    assert!(Box::<str>::decode(&[0xc3]).is_err());
    assert!(bool::decode(&[2]).is_err());
    assert!(bool::decode(&[]).is_err());
    // A record of another integer width is refused, not misread.
    let err = u64::decode(&7u32.to_le_bytes()).unwrap_err();
    assert!(err.reason.contains("expected 8 bytes, found 4"), "{err}");
    assert!(i16::decode(&[1, 2, 3]).is_err());
}

#[cfg(feature = "cache-serde")]
#[test]
fn postcard_round_trips_and_refuses_trailing_or_short_bytes() {
    use perfkit::cache::Postcard;
    round_trip(Postcard((3u32, "three".to_string())));
    let mut bytes = Vec::new();
    Postcard(5u32).encode(&mut bytes).unwrap();
    bytes.push(0);
    let err = Postcard::<u32>::decode(&bytes).unwrap_err();
    assert!(err.reason.contains("trailing"), "{err}");
    assert!(Postcard::<(u32, String)>::decode(&[]).is_err());
}
