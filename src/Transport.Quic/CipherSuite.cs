namespace Transport.Quic;

/// <summary>The TLS 1.3 cipher suites QUIC v1 uses (RFC 8446 §B.4, RFC 9001 §5.3), by their TLS code points.</summary>
public enum CipherSuite : ushort
{
    /// <summary>TLS_AES_128_GCM_SHA256: AES-128-GCM, SHA-256, AES-128 header protection.</summary>
    Aes128GcmSha256 = 0x1301,

    /// <summary>TLS_AES_256_GCM_SHA384: AES-256-GCM, SHA-384, AES-256 header protection.</summary>
    Aes256GcmSha384 = 0x1302,

    /// <summary>TLS_CHACHA20_POLY1305_SHA256: ChaCha20-Poly1305, SHA-256, ChaCha20 header protection.</summary>
    ChaCha20Poly1305Sha256 = 0x1303,
}
