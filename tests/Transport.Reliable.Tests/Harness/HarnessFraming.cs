using Transport.Core.Wire;
using Transport.Reliable.Ack;

namespace Transport.Reliable.Tests.Harness;

/// <summary>
/// The harness's minimal test-only wire format (not QUIC). Every datagram is one packet:
/// <code>
/// DATA     [0x01 | 0x02 with FIN][pn varint][sent ticks u64][offset varint][length u16][bytes]
/// BLOCKED  [0x03][pn varint][sent ticks u64][limit varint]          ack-eliciting probe / flow-control blocked
/// ACK      [0x10][pn varint][ack delay µs varint][max data varint][range count varint]
///          [largest varint][first range varint] { [gap varint][range length varint] }
/// </code>
/// ACK ranges use RFC 9000 §19.3.1's gap form through <see cref="AckRangeEncoding"/>. The sender carries its send instant
/// so the receiver can measure one-way (and so queueing) delay.
/// </summary>
internal static class HarnessFraming
{
    public const byte TypeData = 0x01;
    public const byte TypeDataFin = 0x02;
    public const byte TypeBlocked = 0x03;
    public const byte TypeAck = 0x10;

    /// <summary>The size of a DATA header before its bytes.</summary>
    public static int DataHeaderLength(long packetNumber, long offset) =>
        1 + VarInt.GetLength((ulong)packetNumber) + 8 + VarInt.GetLength((ulong)offset) + 2;

    public static int WriteDataHeader(Span<byte> buffer, long packetNumber, long sentTicks, long offset, int length, bool fin)
    {
        var w = new SpanWriter(buffer);
        w.WriteByte(fin ? TypeDataFin : TypeData);
        w.WriteVarInt((ulong)packetNumber);
        w.WriteUInt64((ulong)sentTicks);
        w.WriteVarInt((ulong)offset);
        w.WriteUInt16(checked((ushort)length));
        return w.Position;
    }

    public static int WriteBlocked(Span<byte> buffer, long packetNumber, long sentTicks, long limit)
    {
        var w = new SpanWriter(buffer);
        w.WriteByte(TypeBlocked);
        w.WriteVarInt((ulong)packetNumber);
        w.WriteUInt64((ulong)sentTicks);
        w.WriteVarInt((ulong)limit);
        return w.Position;
    }

    /// <summary>Writes an ACK packet reporting <paramref name="ranges"/> (largest first); as many ranges as fit.</summary>
    public static int WriteAck(Span<byte> buffer, long packetNumber, TimeSpan ackDelay, long maxData, AckRangeSet ranges)
    {
        var w = new SpanWriter(buffer);
        w.WriteByte(TypeAck);
        w.WriteVarInt((ulong)packetNumber);
        w.WriteVarInt((ulong)Math.Max(0, ackDelay.Ticks / TimeSpan.TicksPerMicrosecond));
        w.WriteVarInt((ulong)maxData);
        int count = ranges.Count;
        w.WriteVarInt((ulong)count);
        if (count == 0) return w.Position;
        var first = ranges[0];
        w.WriteVarInt((ulong)first.Largest);
        w.WriteVarInt((ulong)AckRangeEncoding.EncodeFirst(first));
        var previous = first;
        for (int i = 1; i < count; i++)
        {
            var current = ranges[i];
            AckRangeEncoding.EncodeNext(previous, current, out long gap, out long length);
            w.WriteVarInt((ulong)gap);
            w.WriteVarInt((ulong)length);
            previous = current;
        }
        return w.Position;
    }

    /// <summary>A decoded DATA or BLOCKED packet header.</summary>
    public struct DataHeader
    {
        public byte Type;
        public long PacketNumber;
        public long SentTicks;
        public long Offset;     // DATA: stream offset; BLOCKED: the limit
        public int Length;
        public bool Fin;
        public int HeaderLength;
    }

    /// <summary>Parses a DATA or BLOCKED packet; false when it is malformed.</summary>
    public static bool TryReadData(ReadOnlySpan<byte> packet, out DataHeader header)
    {
        header = default;
        var r = new SpanReader(packet);
        if (!r.TryReadByte(out byte type) || !r.TryReadVarInt(out ulong pn) || !r.TryReadUInt64(out ulong sent)) return false;
        header.Type = type;
        header.PacketNumber = (long)pn;
        header.SentTicks = (long)sent;
        if (type == TypeBlocked)
        {
            if (!r.TryReadVarInt(out ulong limit)) return false;
            header.Offset = (long)limit;
            header.HeaderLength = r.Position;
            return r.IsEmpty;
        }
        if (type != TypeData && type != TypeDataFin) return false;
        if (!r.TryReadVarInt(out ulong offset) || !r.TryReadUInt16(out ushort length)) return false;
        header.Offset = (long)offset;
        header.Length = length;
        header.Fin = type == TypeDataFin;
        header.HeaderLength = r.Position;
        return r.Remaining == length;
    }

    /// <summary>Parses an ACK packet into <paramref name="ranges"/>; returns the number of ranges, or -1 when malformed.</summary>
    public static int TryReadAck(ReadOnlySpan<byte> packet, Span<AckRange> ranges, out TimeSpan ackDelay, out long maxData)
    {
        ackDelay = default;
        maxData = 0;
        var r = new SpanReader(packet);
        if (!r.TryReadByte(out byte type) || type != TypeAck) return -1;
        if (!r.TryReadVarInt(out _) || !r.TryReadVarInt(out ulong delayMicros) || !r.TryReadVarInt(out ulong max)
            || !r.TryReadVarInt(out ulong count))
            return -1;
        ackDelay = TimeSpan.FromTicks((long)delayMicros * TimeSpan.TicksPerMicrosecond);
        maxData = (long)max;
        if (count == 0 || count > (ulong)ranges.Length) return -1;
        if (!r.TryReadVarInt(out ulong largest) || !r.TryReadVarInt(out ulong firstLength)) return -1;
        if (AckRangeEncoding.DecodeFirst((long)largest, (long)firstLength, out ranges[0]) != ReliableError.None) return -1;
        for (int i = 1; i < (int)count; i++)
        {
            if (!r.TryReadVarInt(out ulong gap) || !r.TryReadVarInt(out ulong length)) return -1;
            if (AckRangeEncoding.DecodeNext(ranges[i - 1], (long)gap, (long)length, out ranges[i]) != ReliableError.None) return -1;
        }
        return r.IsEmpty ? (int)count : -1;
    }
}
