namespace Transport.Quic.Qlog;

/// <summary>Why a packet was dropped: the <c>trigger</c> of <c>transport:packet_dropped</c> (quic-events -02).</summary>
public enum QlogPacketDropReason
{
    /// <summary>No trigger is logged.</summary>
    None,
    /// <summary><c>"key_unavailable"</c>: the keys for its encryption level are not (or no longer) available.</summary>
    KeyUnavailable,
    /// <summary><c>"unknown_connection_id"</c>.</summary>
    UnknownConnectionId,
    /// <summary><c>"header_parse_error"</c>.</summary>
    HeaderParseError,
    /// <summary><c>"payload_decrypt_error"</c>: AEAD authentication failed.</summary>
    PayloadDecryptError,
    /// <summary><c>"protocol_violation"</c>.</summary>
    ProtocolViolation,
    /// <summary><c>"dos_prevention"</c>.</summary>
    DosPrevention,
    /// <summary><c>"unsupported_version"</c>.</summary>
    UnsupportedVersion,
    /// <summary><c>"unexpected_packet"</c>.</summary>
    UnexpectedPacket,
    /// <summary><c>"unexpected_source_connection_id"</c>.</summary>
    UnexpectedSourceConnectionId,
    /// <summary><c>"unexpected_version"</c>.</summary>
    UnexpectedVersion,
    /// <summary><c>"duplicate"</c>: a packet number already received.</summary>
    Duplicate,
    /// <summary><c>"invalid_initial"</c>: e.g. a client Initial in a datagram under 1200 bytes (RFC 9000 §14.1).</summary>
    InvalidInitial,
}
