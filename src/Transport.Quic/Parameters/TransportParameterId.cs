namespace Transport.Quic.Parameters;

/// <summary>Transport parameter identifiers (RFC 9000 §18.2; RFC 9221 §3; RFC 9368 §5).</summary>
public enum TransportParameterId : ulong
{
    /// <summary>original_destination_connection_id (server only).</summary>
    OriginalDestinationConnectionId = 0x00,
    /// <summary>max_idle_timeout, in milliseconds.</summary>
    MaxIdleTimeout = 0x01,
    /// <summary>stateless_reset_token, 16 bytes (server only).</summary>
    StatelessResetToken = 0x02,
    /// <summary>max_udp_payload_size, at least 1200.</summary>
    MaxUdpPayloadSize = 0x03,
    /// <summary>initial_max_data.</summary>
    InitialMaxData = 0x04,
    /// <summary>initial_max_stream_data_bidi_local.</summary>
    InitialMaxStreamDataBidiLocal = 0x05,
    /// <summary>initial_max_stream_data_bidi_remote.</summary>
    InitialMaxStreamDataBidiRemote = 0x06,
    /// <summary>initial_max_stream_data_uni.</summary>
    InitialMaxStreamDataUni = 0x07,
    /// <summary>initial_max_streams_bidi, at most 2^60.</summary>
    InitialMaxStreamsBidi = 0x08,
    /// <summary>initial_max_streams_uni, at most 2^60.</summary>
    InitialMaxStreamsUni = 0x09,
    /// <summary>ack_delay_exponent, at most 20.</summary>
    AckDelayExponent = 0x0a,
    /// <summary>max_ack_delay, in milliseconds, below 2^14.</summary>
    MaxAckDelay = 0x0b,
    /// <summary>disable_active_migration (zero-length value).</summary>
    DisableActiveMigration = 0x0c,
    /// <summary>preferred_address (server only).</summary>
    PreferredAddress = 0x0d,
    /// <summary>active_connection_id_limit, at least 2.</summary>
    ActiveConnectionIdLimit = 0x0e,
    /// <summary>initial_source_connection_id.</summary>
    InitialSourceConnectionId = 0x0f,
    /// <summary>retry_source_connection_id (server only).</summary>
    RetrySourceConnectionId = 0x10,
    /// <summary>version_information (RFC 9368 §5).</summary>
    VersionInformation = 0x11,
    /// <summary>max_datagram_frame_size (RFC 9221 §3).</summary>
    MaxDatagramFrameSize = 0x20,
}
