using System.Buffers;
using Transport.Core.Wire;

namespace Transport.Interop.Http3;

/// <summary>Writers and payload parsers for HTTP/3 frames (RFC 9114 §7.1: varint type, varint length, payload).</summary>
public static class Http3Frames
{
    /// <summary>Writes a frame header: type and payload length as QUIC varints.</summary>
    public static void WriteFrameHeader(IBufferWriter<byte> destination, ulong type, ulong payloadLength)
    {
        ArgumentNullException.ThrowIfNull(destination);
        Span<byte> span = destination.GetSpan(16);
        int n = VarInt.Write(span, type);
        n += VarInt.Write(span[n..], payloadLength);
        destination.Advance(n);
    }

    /// <summary>Writes a complete frame whose payload is given.</summary>
    public static void WriteFrame(IBufferWriter<byte> destination, ulong type, ReadOnlySpan<byte> payload)
    {
        WriteFrameHeader(destination, type, (ulong)payload.Length);
        destination.Write(payload);
    }

    /// <summary>Writes a frame whose payload is one varint (GOAWAY, MAX_PUSH_ID, CANCEL_PUSH).</summary>
    public static void WriteVarIntFrame(IBufferWriter<byte> destination, ulong type, ulong value)
    {
        Span<byte> payload = stackalloc byte[8];
        int n = VarInt.Write(payload, value);
        WriteFrame(destination, type, payload[..n]);
    }

    /// <summary>
    /// Parses the payload of GOAWAY, MAX_PUSH_ID or CANCEL_PUSH: exactly one varint, anything else H3_FRAME_ERROR
    /// (RFC 9114 §7.1, "a frame payload that contains additional bytes ... MUST be treated as H3_FRAME_ERROR").
    /// </summary>
    public static ulong ParseVarIntPayload(ReadOnlySpan<byte> payload)
    {
        if (!VarInt.TryRead(payload, out ulong v, out int n) || n != payload.Length)
            throw new Http3Exception(Http3ErrorCode.FrameError, "The frame payload must be exactly one varint.");
        return v;
    }

    /// <summary>Reads the varint at the start of <paramref name="buffer"/>; false when it is incomplete.</summary>
    public static bool TryReadVarInt(in ReadOnlySequence<byte> buffer, out ulong value, out int length)
    {
        value = 0;
        length = 0;
        if (buffer.IsEmpty) return false;
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        int needed = VarInt.GetLengthFromFirstByte(first[0]);
        if (buffer.Length < needed) return false;
        if (first.Length >= needed) return VarInt.TryRead(first, out value, out length);
        Span<byte> tmp = stackalloc byte[8];
        buffer.Slice(0, needed).CopyTo(tmp);
        return VarInt.TryRead(tmp[..needed], out value, out length);
    }

    /// <summary>Parses a frame header at the start of <paramref name="buffer"/>; false when it is incomplete.</summary>
    public static bool TryReadFrameHeader(in ReadOnlySequence<byte> buffer, out ulong type, out ulong length, out int consumed)
    {
        length = 0;
        consumed = 0;
        if (!TryReadVarInt(buffer, out type, out int n1)) return false;
        if (!TryReadVarInt(buffer.Slice(n1), out length, out int n2)) return false;
        consumed = n1 + n2;
        return true;
    }
}
