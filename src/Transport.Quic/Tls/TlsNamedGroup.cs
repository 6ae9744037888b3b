namespace Transport.Quic.Tls;

/// <summary>The key-exchange groups this TLS 1.3 implementation supports (RFC 8446 §4.2.7), by their code points.</summary>
public enum TlsNamedGroup : ushort
{
    /// <summary>secp256r1 (NIST P-256), uncompressed points.</summary>
    Secp256r1 = 0x0017,

    /// <summary>secp384r1 (NIST P-384), uncompressed points.</summary>
    Secp384r1 = 0x0018,

    /// <summary>x25519 (RFC 7748).</summary>
    X25519 = 0x001d,
}
