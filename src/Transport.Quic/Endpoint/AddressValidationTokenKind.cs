namespace Transport.Quic.Endpoint;

/// <summary>
/// The two kinds of address validation token (RFC 9000 §8.1.3: a server must tell them apart). The value is the
/// token's first byte on the wire.
/// </summary>
public enum AddressValidationTokenKind : byte
{
    /// <summary>No token, or one that could not be authenticated (its kind byte is then not trusted).</summary>
    None = 0,

    /// <summary>A token sent in a Retry packet (RFC 9000 §8.1.2): short-lived, carries the original DCID.</summary>
    Retry = 0x52, // 'R'

    /// <summary>A token sent in a NEW_TOKEN frame for a future connection (RFC 9000 §8.1.3): long-lived, no DCID.</summary>
    NewToken = 0x4e, // 'N'
}
