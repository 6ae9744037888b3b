using System.Buffers;
using Transport.Core.Wire;

namespace Transport.Interop.Http3;

/// <summary>The settings an endpoint sends in its SETTINGS frame (RFC 9114 §7.2.4, RFC 9204 §5).</summary>
public sealed class Http3Settings
{
    /// <summary>SETTINGS_QPACK_MAX_TABLE_CAPACITY identifier.</summary>
    public const ulong QpackMaxTableCapacityId = 0x1;
    /// <summary>SETTINGS_MAX_FIELD_SECTION_SIZE identifier.</summary>
    public const ulong MaxFieldSectionSizeId = 0x6;
    /// <summary>SETTINGS_QPACK_BLOCKED_STREAMS identifier.</summary>
    public const ulong QpackBlockedStreamsId = 0x7;

    /// <summary>Dynamic table capacity the sender's decoder allows (default 0).</summary>
    public ulong QpackMaxTableCapacity { get; set; }

    /// <summary>Largest field section the sender accepts; null = unlimited (the default).</summary>
    public ulong? MaxFieldSectionSize { get; set; }

    /// <summary>Streams that may be blocked on the sender's decoder (default 0).</summary>
    public ulong QpackBlockedStreams { get; set; }

    /// <summary>Settings with identifiers this endpoint does not know, in the order received.</summary>
    public List<(ulong Id, ulong Value)> Unknown { get; } = [];

    /// <summary>
    /// Parses a SETTINGS payload. Reserved HTTP/2 identifiers (0x2..0x5) and duplicates are H3_SETTINGS_ERROR
    /// (RFC 9114 §7.2.4, §7.2.4.1); a truncated pair is H3_FRAME_ERROR; unknown identifiers are kept and ignored.
    /// </summary>
    public static Http3Settings Parse(ReadOnlySpan<byte> payload)
    {
        var s = new Http3Settings();
        var seen = new HashSet<ulong>();
        int p = 0;
        while (p < payload.Length)
        {
            if (!VarInt.TryRead(payload[p..], out ulong id, out int n1))
                throw new Http3Exception(Http3ErrorCode.FrameError, "Truncated setting identifier.");
            p += n1;
            if (!VarInt.TryRead(payload[p..], out ulong value, out int n2))
                throw new Http3Exception(Http3ErrorCode.FrameError, "Truncated setting value.");
            p += n2;
            if (id is >= 0x2 and <= 0x5)
                throw new Http3Exception(Http3ErrorCode.SettingsError, $"Setting 0x{id:x} is reserved (HTTP/2).");
            if (!seen.Add(id))
                throw new Http3Exception(Http3ErrorCode.SettingsError, $"Setting 0x{id:x} appears twice.");
            switch (id)
            {
                case QpackMaxTableCapacityId: s.QpackMaxTableCapacity = value; break;
                case MaxFieldSectionSizeId: s.MaxFieldSectionSize = value; break;
                case QpackBlockedStreamsId: s.QpackBlockedStreams = value; break;
                default: s.Unknown.Add((id, value)); break;
            }
        }
        return s;
    }

    /// <summary>Writes a complete SETTINGS frame (type, length, payload) with the non-default values.</summary>
    public void WriteFrame(IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        Span<byte> payload = stackalloc byte[256];
        int p = 0;
        if (QpackMaxTableCapacity != 0) p += WritePair(payload[p..], QpackMaxTableCapacityId, QpackMaxTableCapacity);
        if (MaxFieldSectionSize is ulong m) p += WritePair(payload[p..], MaxFieldSectionSizeId, m);
        if (QpackBlockedStreams != 0) p += WritePair(payload[p..], QpackBlockedStreamsId, QpackBlockedStreams);
        foreach (var (id, value) in Unknown)
        {
            if (p + 16 > payload.Length) throw new ArgumentException("Too many settings to encode.");
            p += WritePair(payload[p..], id, value);
        }
        Http3Frames.WriteFrameHeader(destination, Http3FrameType.Settings, (ulong)p);
        destination.Write(payload[..p]);
    }

    private static int WritePair(Span<byte> destination, ulong id, ulong value)
    {
        int n = VarInt.Write(destination, id);
        return n + VarInt.Write(destination[n..], value);
    }
}
