namespace Transport.Interop.Http3;

/// <summary>Unidirectional stream types (RFC 9114 §6.2, RFC 9204 §4.2), the varint that opens each such stream.</summary>
public static class Http3StreamType
{
    /// <summary>Control stream; its first frame is SETTINGS; exactly one per endpoint.</summary>
    public const ulong Control = 0x00;
    /// <summary>Push stream (server to client), followed by a push ID.</summary>
    public const ulong Push = 0x01;
    /// <summary>QPACK encoder stream.</summary>
    public const ulong QpackEncoder = 0x02;
    /// <summary>QPACK decoder stream.</summary>
    public const ulong QpackDecoder = 0x03;
}
