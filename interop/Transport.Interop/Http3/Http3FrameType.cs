namespace Transport.Interop.Http3;

/// <summary>HTTP/3 frame types (RFC 9114 §7.2, §11.2.1).</summary>
public static class Http3FrameType
{
    /// <summary>DATA: request or response content.</summary>
    public const ulong Data = 0x0;
    /// <summary>HEADERS: a QPACK-encoded field section.</summary>
    public const ulong Headers = 0x1;
    /// <summary>CANCEL_PUSH: cancels a server push.</summary>
    public const ulong CancelPush = 0x3;
    /// <summary>SETTINGS: connection configuration; first frame of each control stream.</summary>
    public const ulong Settings = 0x4;
    /// <summary>PUSH_PROMISE: announces a server push.</summary>
    public const ulong PushPromise = 0x5;
    /// <summary>GOAWAY: graceful shutdown.</summary>
    public const ulong GoAway = 0x7;
    /// <summary>MAX_PUSH_ID: the largest push ID a client accepts.</summary>
    public const ulong MaxPushId = 0xd;

    /// <summary>Reserved "grease" types 0x1f * N + 0x21 (RFC 9114 §7.2.8), which receivers ignore.</summary>
    public static bool IsReserved(ulong type) => type >= 0x21 && (type - 0x21) % 0x1f == 0;

    /// <summary>HTTP/2 frame types with no HTTP/3 equivalent (0x2, 0x6, 0x8, 0x9): H3_FRAME_UNEXPECTED (RFC 9114 §7.2.8).</summary>
    public static bool IsHttp2Only(ulong type) => type is 0x2 or 0x6 or 0x8 or 0x9;
}
