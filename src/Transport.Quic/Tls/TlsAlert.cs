namespace Transport.Quic.Tls;

/// <summary>
/// TLS alert descriptions (RFC 8446 §6). QUIC carries no alert records: a fatal alert becomes the transport error
/// CRYPTO_ERROR = 0x0100 + description (RFC 9001 §4.8).
/// </summary>
public enum TlsAlert : byte
{
    /// <summary>close_notify (not used by QUIC).</summary>
    CloseNotify = 0,
    /// <summary>unexpected_message: a message arrived out of order or at the wrong encryption level.</summary>
    UnexpectedMessage = 10,
    /// <summary>bad_record_mac.</summary>
    BadRecordMac = 20,
    /// <summary>record_overflow.</summary>
    RecordOverflow = 22,
    /// <summary>handshake_failure: no acceptable set of parameters (cipher suite, group) was found.</summary>
    HandshakeFailure = 40,
    /// <summary>bad_certificate: the certificate was corrupt, failed its checks, or did not match the server name or pin.</summary>
    BadCertificate = 42,
    /// <summary>unsupported_certificate: the certificate's key type is not supported.</summary>
    UnsupportedCertificate = 43,
    /// <summary>certificate_revoked.</summary>
    CertificateRevoked = 44,
    /// <summary>certificate_expired: the certificate is expired or not yet valid.</summary>
    CertificateExpired = 45,
    /// <summary>certificate_unknown: some other certificate problem.</summary>
    CertificateUnknown = 46,
    /// <summary>illegal_parameter: a field was out of range or inconsistent with other fields.</summary>
    IllegalParameter = 47,
    /// <summary>unknown_ca: the chain did not lead to a trusted root.</summary>
    UnknownCa = 48,
    /// <summary>access_denied.</summary>
    AccessDenied = 49,
    /// <summary>decode_error: a message could not be parsed (wrong length, truncated).</summary>
    DecodeError = 50,
    /// <summary>decrypt_error: a signature, Finished or PSK binder did not verify.</summary>
    DecryptError = 51,
    /// <summary>protocol_version: the peer does not speak TLS 1.3.</summary>
    ProtocolVersion = 70,
    /// <summary>insufficient_security.</summary>
    InsufficientSecurity = 71,
    /// <summary>internal_error: a local failure unrelated to the peer.</summary>
    InternalError = 80,
    /// <summary>user_canceled.</summary>
    UserCanceled = 90,
    /// <summary>missing_extension: a mandatory extension (such as quic_transport_parameters) was absent.</summary>
    MissingExtension = 109,
    /// <summary>unsupported_extension: an extension appeared in a message that must not carry it.</summary>
    UnsupportedExtension = 110,
    /// <summary>unrecognized_name: the server does not serve the requested name.</summary>
    UnrecognizedName = 112,
    /// <summary>unknown_psk_identity.</summary>
    UnknownPskIdentity = 115,
    /// <summary>certificate_required.</summary>
    CertificateRequired = 116,
    /// <summary>no_application_protocol: the endpoints share no ALPN protocol (QUIC error 0x178).</summary>
    NoApplicationProtocol = 120,
}
