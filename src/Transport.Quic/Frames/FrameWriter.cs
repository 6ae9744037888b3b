using System.Buffers.Binary;
using Transport.Core.Wire;

namespace Transport.Quic.Frames;

/// <summary>
/// Writes QUIC frames straight into a packet buffer (RFC 9000 §19, RFC 9221 §4). Every <c>TryWrite*</c> method writes
/// the whole frame or nothing: it returns false, leaving the writer untouched, when the frame does not fit. The
/// <c>Get*Length</c> methods give exact sizes so a packet builder can fit frames to the room left, and the STREAM,
/// CRYPTO and DATAGRAM header writers let the caller copy (or encrypt) the data in place after the header.
/// Values above 2^62-1 and malformed arguments throw ArgumentException-family exceptions. Allocates nothing.
/// </summary>
public static class FrameWriter
{
    private const int TypeLength = 1; // every frame type QUIC v1 and RFC 9221 define fits one byte

    // ---------------------------------------------------------------- PADDING, PING, HANDSHAKE_DONE

    /// <summary>Writes <paramref name="count"/> PADDING frames (0x00 bytes, RFC 9000 §19.1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative count.</exception>
    public static bool TryWritePadding(ref SpanWriter writer, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (writer.Remaining < count) return false;
        writer.Free.Slice(0, count).Clear();
        writer.Advance(count);
        return true;
    }

    /// <summary>Writes a PING frame (RFC 9000 §19.2).</summary>
    public static bool TryWritePing(ref SpanWriter writer) => writer.TryWriteByte((byte)FrameType.Ping);

    /// <summary>Writes a HANDSHAKE_DONE frame (RFC 9000 §19.20).</summary>
    public static bool TryWriteHandshakeDone(ref SpanWriter writer) => writer.TryWriteByte((byte)FrameType.HandshakeDone);

    // ---------------------------------------------------------------- ACK

    /// <summary>
    /// The encoded length of an ACK frame for <paramref name="ranges"/> (see <see cref="TryWriteAck"/> for the
    /// requirements on them).
    /// </summary>
    public static int GetAckLength(scoped ReadOnlySpan<AckRange> ranges, ulong ackDelay, EcnCounts? ecn = null)
    {
        ValidateRanges(ranges);
        return AckLength(ranges, ackDelay, ecn);
    }

    /// <summary>
    /// How many of <paramref name="ranges"/> (a prefix: the highest ones) fit in an ACK frame of at most
    /// <paramref name="maxLength"/> bytes; 0 when not even the first range fits.
    /// </summary>
    public static int GetAckRangesThatFit(scoped ReadOnlySpan<AckRange> ranges, ulong ackDelay, EcnCounts? ecn, int maxLength)
    {
        ValidateRanges(ranges);
        if (ranges.IsEmpty) return 0;
        // Fixed part with a one-range count; the count's varint grows with the number of ranges.
        int fixedPart = TypeLength + VarInt.GetLength(ranges[0].Largest) + VarInt.GetLength(ackDelay)
            + VarInt.GetLength(ranges[0].Largest - ranges[0].Smallest) + EcnLength(ecn);
        int total = fixedPart + 1;
        if (total > maxLength) return 0;
        int fit = 1;
        for (int i = 1; i < ranges.Length; i++)
        {
            int pair = VarInt.GetLength(ranges[i - 1].Smallest - ranges[i].Largest - 2)
                + VarInt.GetLength(ranges[i].Largest - ranges[i].Smallest);
            int countGrowth = VarInt.GetLength((ulong)i) - VarInt.GetLength((ulong)(i - 1));
            if (total + pair + countGrowth > maxLength) break;
            total += pair + countGrowth;
            fit++;
        }
        return fit;
    }

    /// <summary>
    /// Writes an ACK frame (RFC 9000 §19.3): type 0x03 with <paramref name="ecn"/> counts, else 0x02.
    /// <paramref name="ranges"/> lists the acknowledged ranges from highest to lowest, separated by at least one
    /// unacknowledged packet number (as an ACK range set produces them). <paramref name="ackDelay"/> is already scaled
    /// down by the ack_delay_exponent (microseconds &gt;&gt; exponent).
    /// </summary>
    /// <exception cref="ArgumentException">No ranges, or ranges not descending and disjoint with a gap.</exception>
    public static bool TryWriteAck(ref SpanWriter writer, scoped ReadOnlySpan<AckRange> ranges, ulong ackDelay, EcnCounts? ecn = null)
    {
        ValidateRanges(ranges);
        if (ranges.IsEmpty) throw new ArgumentException("An ACK frame acknowledges at least one range.", nameof(ranges));
        if (AckLength(ranges, ackDelay, ecn) > writer.Remaining) return false;
        writer.TryWriteByte(ecn.HasValue ? (byte)FrameType.AckEcn : (byte)FrameType.Ack);
        writer.TryWriteVarInt(ranges[0].Largest);
        writer.TryWriteVarInt(ackDelay);
        writer.TryWriteVarInt((ulong)(ranges.Length - 1));
        writer.TryWriteVarInt(ranges[0].Largest - ranges[0].Smallest);
        for (int i = 1; i < ranges.Length; i++)
        {
            writer.TryWriteVarInt(ranges[i - 1].Smallest - ranges[i].Largest - 2); // Gap, RFC 9000 §19.3.1
            writer.TryWriteVarInt(ranges[i].Largest - ranges[i].Smallest);         // ACK Range Length
        }
        if (ecn is EcnCounts e)
        {
            writer.TryWriteVarInt(e.Ect0);
            writer.TryWriteVarInt(e.Ect1);
            writer.TryWriteVarInt(e.Ce);
        }
        return true;
    }

    /// <summary>
    /// The ACK Delay field for <paramref name="ackDelay"/>: microseconds divided by 2^<paramref name="ackDelayExponent"/>
    /// (RFC 9000 §19.3, §18.2); negative delays count as 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The exponent exceeds 20.</exception>
    public static ulong EncodeAckDelay(TimeSpan ackDelay, int ackDelayExponent)
    {
        if ((uint)ackDelayExponent > 20)
            throw new ArgumentOutOfRangeException(nameof(ackDelayExponent), ackDelayExponent, "ack_delay_exponent is 0 to 20 (RFC 9000 §18.2).");
        if (ackDelay <= TimeSpan.Zero) return 0;
        return (ulong)(ackDelay.Ticks / TimeSpan.TicksPerMicrosecond) >> ackDelayExponent;
    }

    private static int AckLength(scoped ReadOnlySpan<AckRange> ranges, ulong ackDelay, EcnCounts? ecn)
    {
        if (ranges.IsEmpty) return 0;
        int n = TypeLength + VarInt.GetLength(ranges[0].Largest) + VarInt.GetLength(ackDelay)
            + VarInt.GetLength((ulong)(ranges.Length - 1)) + VarInt.GetLength(ranges[0].Largest - ranges[0].Smallest);
        for (int i = 1; i < ranges.Length; i++)
            n += VarInt.GetLength(ranges[i - 1].Smallest - ranges[i].Largest - 2) + VarInt.GetLength(ranges[i].Largest - ranges[i].Smallest);
        return n + EcnLength(ecn);
    }

    private static int EcnLength(EcnCounts? ecn) =>
        ecn is EcnCounts e ? VarInt.GetLength(e.Ect0) + VarInt.GetLength(e.Ect1) + VarInt.GetLength(e.Ce) : 0;

    private static void ValidateRanges(scoped ReadOnlySpan<AckRange> ranges)
    {
        if (!ranges.IsEmpty && ranges[0].Largest > VarInt.MaxValue)
            throw new ArgumentException($"Largest Acknowledged {ranges[0].Largest} exceeds 2^62-1.", nameof(ranges));
        for (int i = 1; i < ranges.Length; i++)
        {
            if (ranges[i - 1].Smallest < 2 || ranges[i].Largest > ranges[i - 1].Smallest - 2)
                throw new ArgumentException(
                    $"ACK ranges must be listed highest first with at least one missing packet between them; range {i} " +
                    $"[{ranges[i].Smallest}, {ranges[i].Largest}] does not lie below [{ranges[i - 1].Smallest}, {ranges[i - 1].Largest}] with a gap.",
                    nameof(ranges));
        }
    }

    // ---------------------------------------------------------------- fixed-shape frames

    /// <summary>The encoded length of a RESET_STREAM frame.</summary>
    public static int GetLength(in ResetStreamFrame frame) =>
        TypeLength + VarInt.GetLength(frame.StreamId) + VarInt.GetLength(frame.ApplicationProtocolErrorCode) + VarInt.GetLength(frame.FinalSize);

    /// <summary>Writes a RESET_STREAM frame (RFC 9000 §19.4).</summary>
    public static bool TryWrite(ref SpanWriter writer, in ResetStreamFrame frame)
    {
        if (GetLength(frame) > writer.Remaining) return false;
        writer.TryWriteByte((byte)FrameType.ResetStream);
        writer.TryWriteVarInt(frame.StreamId);
        writer.TryWriteVarInt(frame.ApplicationProtocolErrorCode);
        writer.TryWriteVarInt(frame.FinalSize);
        return true;
    }

    /// <summary>The encoded length of a STOP_SENDING frame.</summary>
    public static int GetLength(in StopSendingFrame frame) =>
        TypeLength + VarInt.GetLength(frame.StreamId) + VarInt.GetLength(frame.ApplicationProtocolErrorCode);

    /// <summary>Writes a STOP_SENDING frame (RFC 9000 §19.5).</summary>
    public static bool TryWrite(ref SpanWriter writer, in StopSendingFrame frame) =>
        TryWriteTwo(ref writer, FrameType.StopSending, frame.StreamId, frame.ApplicationProtocolErrorCode);

    /// <summary>The encoded length of a MAX_DATA frame.</summary>
    public static int GetLength(in MaxDataFrame frame) => TypeLength + VarInt.GetLength(frame.MaximumData);

    /// <summary>Writes a MAX_DATA frame (RFC 9000 §19.9).</summary>
    public static bool TryWrite(ref SpanWriter writer, in MaxDataFrame frame) =>
        TryWriteOne(ref writer, FrameType.MaxData, frame.MaximumData);

    /// <summary>The encoded length of a MAX_STREAM_DATA frame.</summary>
    public static int GetLength(in MaxStreamDataFrame frame) =>
        TypeLength + VarInt.GetLength(frame.StreamId) + VarInt.GetLength(frame.MaximumStreamData);

    /// <summary>Writes a MAX_STREAM_DATA frame (RFC 9000 §19.10).</summary>
    public static bool TryWrite(ref SpanWriter writer, in MaxStreamDataFrame frame) =>
        TryWriteTwo(ref writer, FrameType.MaxStreamData, frame.StreamId, frame.MaximumStreamData);

    /// <summary>The encoded length of a MAX_STREAMS frame.</summary>
    public static int GetLength(in MaxStreamsFrame frame) => TypeLength + VarInt.GetLength(frame.MaximumStreams);

    /// <summary>Writes a MAX_STREAMS frame (RFC 9000 §19.11).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The count exceeds 2^60.</exception>
    public static bool TryWrite(ref SpanWriter writer, in MaxStreamsFrame frame)
    {
        CheckStreamCount(frame.MaximumStreams);
        return TryWriteOne(ref writer, frame.Bidirectional ? FrameType.MaxStreamsBidi : FrameType.MaxStreamsUni, frame.MaximumStreams);
    }

    /// <summary>The encoded length of a DATA_BLOCKED frame.</summary>
    public static int GetLength(in DataBlockedFrame frame) => TypeLength + VarInt.GetLength(frame.MaximumData);

    /// <summary>Writes a DATA_BLOCKED frame (RFC 9000 §19.12).</summary>
    public static bool TryWrite(ref SpanWriter writer, in DataBlockedFrame frame) =>
        TryWriteOne(ref writer, FrameType.DataBlocked, frame.MaximumData);

    /// <summary>The encoded length of a STREAM_DATA_BLOCKED frame.</summary>
    public static int GetLength(in StreamDataBlockedFrame frame) =>
        TypeLength + VarInt.GetLength(frame.StreamId) + VarInt.GetLength(frame.MaximumStreamData);

    /// <summary>Writes a STREAM_DATA_BLOCKED frame (RFC 9000 §19.13).</summary>
    public static bool TryWrite(ref SpanWriter writer, in StreamDataBlockedFrame frame) =>
        TryWriteTwo(ref writer, FrameType.StreamDataBlocked, frame.StreamId, frame.MaximumStreamData);

    /// <summary>The encoded length of a STREAMS_BLOCKED frame.</summary>
    public static int GetLength(in StreamsBlockedFrame frame) => TypeLength + VarInt.GetLength(frame.MaximumStreams);

    /// <summary>Writes a STREAMS_BLOCKED frame (RFC 9000 §19.14).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The count exceeds 2^60.</exception>
    public static bool TryWrite(ref SpanWriter writer, in StreamsBlockedFrame frame)
    {
        CheckStreamCount(frame.MaximumStreams);
        return TryWriteOne(ref writer, frame.Bidirectional ? FrameType.StreamsBlockedBidi : FrameType.StreamsBlockedUni, frame.MaximumStreams);
    }

    /// <summary>The encoded length of a RETIRE_CONNECTION_ID frame.</summary>
    public static int GetLength(in RetireConnectionIdFrame frame) => TypeLength + VarInt.GetLength(frame.SequenceNumber);

    /// <summary>Writes a RETIRE_CONNECTION_ID frame (RFC 9000 §19.16).</summary>
    public static bool TryWrite(ref SpanWriter writer, in RetireConnectionIdFrame frame) =>
        TryWriteOne(ref writer, FrameType.RetireConnectionId, frame.SequenceNumber);

    /// <summary>The encoded length of a PATH_CHALLENGE or PATH_RESPONSE frame: 9 bytes.</summary>
    public const int PathValidationFrameLength = TypeLength + 8;

    /// <summary>Writes a PATH_CHALLENGE frame (RFC 9000 §19.17).</summary>
    public static bool TryWrite(ref SpanWriter writer, in PathChallengeFrame frame) =>
        TryWritePath(ref writer, FrameType.PathChallenge, frame.Data);

    /// <summary>Writes a PATH_RESPONSE frame (RFC 9000 §19.18).</summary>
    public static bool TryWrite(ref SpanWriter writer, in PathResponseFrame frame) =>
        TryWritePath(ref writer, FrameType.PathResponse, frame.Data);

    private static bool TryWritePath(ref SpanWriter writer, FrameType type, ulong data)
    {
        if (writer.Remaining < PathValidationFrameLength) return false;
        writer.TryWriteByte((byte)type);
        writer.TryWriteUInt64(data);
        return true;
    }

    private static bool TryWriteOne(ref SpanWriter writer, FrameType type, ulong value)
    {
        if (TypeLength + VarInt.GetLength(value) > writer.Remaining) return false;
        writer.TryWriteByte((byte)type);
        writer.TryWriteVarInt(value);
        return true;
    }

    private static bool TryWriteTwo(ref SpanWriter writer, FrameType type, ulong a, ulong b)
    {
        if (TypeLength + VarInt.GetLength(a) + VarInt.GetLength(b) > writer.Remaining) return false;
        writer.TryWriteByte((byte)type);
        writer.TryWriteVarInt(a);
        writer.TryWriteVarInt(b);
        return true;
    }

    private static void CheckStreamCount(ulong count)
    {
        if (count > FrameRules.MaxStreamCount)
            throw new ArgumentOutOfRangeException(nameof(count), count, "A stream count is at most 2^60 (RFC 9000 §19.11).");
    }

    // ---------------------------------------------------------------- CRYPTO

    /// <summary>The length of a CRYPTO frame's header (type, offset, length) for <paramref name="dataLength"/> bytes.</summary>
    public static int GetCryptoFrameHeaderLength(ulong offset, int dataLength) =>
        TypeLength + VarInt.GetLength(offset) + VarInt.GetLength((ulong)dataLength);

    /// <summary>
    /// The most crypto data a CRYPTO frame at <paramref name="offset"/> can carry in <paramref name="available"/> bytes
    /// (header included); 0 when not even an empty frame fits.
    /// </summary>
    public static int GetMaxCryptoDataLength(ulong offset, int available) =>
        MaxDataWithLengthField(available - TypeLength - VarInt.GetLength(offset), VarInt.MaxValue - offset);

    /// <summary>
    /// Writes a CRYPTO frame header announcing <paramref name="dataLength"/> bytes; the caller then writes exactly that
    /// many bytes of data. False (nothing written) when the header and the data would not both fit.
    /// </summary>
    public static bool TryWriteCryptoFrameHeader(ref SpanWriter writer, ulong offset, int dataLength)
    {
        CheckDataEnd(offset, dataLength);
        if (GetCryptoFrameHeaderLength(offset, dataLength) + dataLength > writer.Remaining) return false;
        writer.TryWriteByte((byte)FrameType.Crypto);
        writer.TryWriteVarInt(offset);
        writer.TryWriteVarInt((ulong)dataLength);
        return true;
    }

    /// <summary>Writes a CRYPTO frame (RFC 9000 §19.6).</summary>
    public static bool TryWrite(ref SpanWriter writer, scoped CryptoFrame frame)
    {
        if (!TryWriteCryptoFrameHeader(ref writer, frame.Offset, frame.Data.Length)) return false;
        writer.TryWriteBytes(frame.Data);
        return true;
    }

    // ---------------------------------------------------------------- NEW_TOKEN

    /// <summary>The encoded length of a NEW_TOKEN frame.</summary>
    public static int GetLength(scoped NewTokenFrame frame) =>
        TypeLength + VarInt.GetLength((ulong)frame.Token.Length) + frame.Token.Length;

    /// <summary>Writes a NEW_TOKEN frame (RFC 9000 §19.7).</summary>
    /// <exception cref="ArgumentException">An empty token.</exception>
    public static bool TryWrite(ref SpanWriter writer, scoped NewTokenFrame frame)
    {
        if (frame.Token.IsEmpty) throw new ArgumentException("A NEW_TOKEN frame carries a non-empty token (RFC 9000 §19.7).", nameof(frame));
        if (GetLength(frame) > writer.Remaining) return false;
        writer.TryWriteByte((byte)FrameType.NewToken);
        writer.TryWriteVarIntLengthPrefixed(frame.Token);
        return true;
    }

    // ---------------------------------------------------------------- STREAM

    /// <summary>
    /// The length of a STREAM frame's header (type, stream ID, Offset when non-zero, Length when
    /// <paramref name="withLength"/>) for <paramref name="dataLength"/> bytes of data.
    /// </summary>
    public static int GetStreamFrameHeaderLength(ulong streamId, ulong offset, int dataLength, bool withLength) =>
        TypeLength + VarInt.GetLength(streamId) + (offset != 0 ? VarInt.GetLength(offset) : 0)
        + (withLength ? VarInt.GetLength((ulong)dataLength) : 0);

    /// <summary>
    /// The most stream data a STREAM frame can carry in <paramref name="available"/> bytes (header included);
    /// 0 when only an empty frame (or nothing) fits. Without a Length field the frame must end the packet.
    /// </summary>
    public static int GetMaxStreamDataLength(ulong streamId, ulong offset, int available, bool withLength)
    {
        int room = available - TypeLength - VarInt.GetLength(streamId) - (offset != 0 ? VarInt.GetLength(offset) : 0);
        ulong limit = VarInt.MaxValue - offset; // RFC 9000 §19.8: offset + length <= 2^62-1
        if (!withLength) return room <= 0 ? 0 : (int)Math.Min((ulong)room, limit);
        return MaxDataWithLengthField(room, limit);
    }

    /// <summary>
    /// Writes a STREAM frame header (type 0x08 | OFF | LEN | FIN) announcing <paramref name="dataLength"/> bytes; the
    /// caller then writes exactly that many bytes (and, without a Length field, ends the packet there). False (nothing
    /// written) when the header and the data would not both fit.
    /// </summary>
    public static bool TryWriteStreamFrameHeader(ref SpanWriter writer, ulong streamId, ulong offset, int dataLength, bool fin, bool withLength = true)
    {
        CheckDataEnd(offset, dataLength);
        if (GetStreamFrameHeaderLength(streamId, offset, dataLength, withLength) + dataLength > writer.Remaining) return false;
        byte type = (byte)FrameType.Stream;
        if (offset != 0) type |= FrameRules.StreamOffBit;
        if (withLength) type |= FrameRules.StreamLenBit;
        if (fin) type |= FrameRules.StreamFinBit;
        writer.TryWriteByte(type);
        writer.TryWriteVarInt(streamId);
        if (offset != 0) writer.TryWriteVarInt(offset);
        if (withLength) writer.TryWriteVarInt((ulong)dataLength);
        return true;
    }

    /// <summary>Writes a STREAM frame (RFC 9000 §19.8); the Offset field is omitted when the offset is 0.</summary>
    public static bool TryWrite(ref SpanWriter writer, scoped StreamFrame frame)
    {
        if (!TryWriteStreamFrameHeader(ref writer, frame.StreamId, frame.Offset, frame.Data.Length, frame.Fin, frame.HasLengthField)) return false;
        writer.TryWriteBytes(frame.Data);
        return true;
    }

    // ---------------------------------------------------------------- NEW_CONNECTION_ID

    /// <summary>The encoded length of a NEW_CONNECTION_ID frame.</summary>
    public static int GetLength(scoped NewConnectionIdFrame frame) =>
        TypeLength + VarInt.GetLength(frame.SequenceNumber) + VarInt.GetLength(frame.RetirePriorTo)
        + 1 + frame.ConnectionId.Length + NewConnectionIdFrame.StatelessResetTokenLength;

    /// <summary>Writes a NEW_CONNECTION_ID frame (RFC 9000 §19.15).</summary>
    /// <exception cref="ArgumentException">
    /// A connection ID not 1 to 20 bytes, a reset token not 16 bytes, or Retire Prior To above the sequence number.
    /// </exception>
    public static bool TryWrite(ref SpanWriter writer, scoped NewConnectionIdFrame frame)
    {
        if (frame.ConnectionId.Length is < 1 or > ConnectionId.MaxLength)
            throw new ArgumentException($"A NEW_CONNECTION_ID connection ID is 1 to 20 bytes; got {frame.ConnectionId.Length}.", nameof(frame));
        if (frame.StatelessResetToken.Length != NewConnectionIdFrame.StatelessResetTokenLength)
            throw new ArgumentException($"A stateless reset token is 16 bytes; got {frame.StatelessResetToken.Length}.", nameof(frame));
        if (frame.RetirePriorTo > frame.SequenceNumber)
            throw new ArgumentException($"Retire Prior To ({frame.RetirePriorTo}) exceeds the sequence number ({frame.SequenceNumber}).", nameof(frame));
        if (GetLength(frame) > writer.Remaining) return false;
        writer.TryWriteByte((byte)FrameType.NewConnectionId);
        writer.TryWriteVarInt(frame.SequenceNumber);
        writer.TryWriteVarInt(frame.RetirePriorTo);
        writer.TryWriteUInt8LengthPrefixed(frame.ConnectionId);
        writer.TryWriteBytes(frame.StatelessResetToken);
        return true;
    }

    // ---------------------------------------------------------------- CONNECTION_CLOSE

    /// <summary>The encoded length of a CONNECTION_CLOSE frame.</summary>
    public static int GetLength(scoped ConnectionCloseFrame frame) =>
        TypeLength + VarInt.GetLength(frame.ErrorCode) + (frame.IsApplicationError ? 0 : VarInt.GetLength(frame.TriggeringFrameType))
        + VarInt.GetLength((ulong)frame.ReasonPhrase.Length) + frame.ReasonPhrase.Length;

    /// <summary>Writes a CONNECTION_CLOSE frame (RFC 9000 §19.19): 0x1d when it is an application error, else 0x1c.</summary>
    public static bool TryWrite(ref SpanWriter writer, scoped ConnectionCloseFrame frame)
    {
        if (GetLength(frame) > writer.Remaining) return false;
        writer.TryWriteByte(frame.IsApplicationError ? (byte)FrameType.ConnectionCloseApplication : (byte)FrameType.ConnectionClose);
        writer.TryWriteVarInt(frame.ErrorCode);
        if (!frame.IsApplicationError) writer.TryWriteVarInt(frame.TriggeringFrameType);
        writer.TryWriteVarIntLengthPrefixed(frame.ReasonPhrase);
        return true;
    }

    /// <summary>Writes a transport CONNECTION_CLOSE frame (type 0x1c).</summary>
    public static bool TryWriteConnectionClose(ref SpanWriter writer, TransportErrorCode error, ulong triggeringFrameType, scoped ReadOnlySpan<byte> reasonPhrase) =>
        TryWrite(ref writer, new ConnectionCloseFrame(false, (ulong)error, triggeringFrameType, reasonPhrase));

    /// <summary>Writes an application CONNECTION_CLOSE frame (type 0x1d).</summary>
    public static bool TryWriteApplicationClose(ref SpanWriter writer, ulong applicationErrorCode, scoped ReadOnlySpan<byte> reasonPhrase) =>
        TryWrite(ref writer, new ConnectionCloseFrame(true, applicationErrorCode, 0, reasonPhrase));

    // ---------------------------------------------------------------- DATAGRAM

    /// <summary>The encoded length of a DATAGRAM frame carrying <paramref name="dataLength"/> bytes.</summary>
    public static int GetDatagramFrameLength(int dataLength, bool withLength) =>
        TypeLength + (withLength ? VarInt.GetLength((ulong)dataLength) : 0) + dataLength;

    /// <summary>
    /// Writes a DATAGRAM frame (RFC 9221 §4): type 0x31 with a Length field, or 0x30 whose data runs to the end of the
    /// packet (the caller must then write nothing after it).
    /// </summary>
    public static bool TryWrite(ref SpanWriter writer, scoped DatagramFrame frame)
    {
        if (GetDatagramFrameLength(frame.Data.Length, frame.HasLengthField) > writer.Remaining) return false;
        if (frame.HasLengthField)
        {
            writer.TryWriteByte((byte)FrameType.DatagramWithLength);
            writer.TryWriteVarIntLengthPrefixed(frame.Data);
        }
        else
        {
            writer.TryWriteByte((byte)FrameType.Datagram);
            writer.TryWriteBytes(frame.Data);
        }
        return true;
    }

    // ---------------------------------------------------------------- helpers

    // The largest n with VarInt.GetLength(n) + n <= room and n <= limit.
    private static int MaxDataWithLengthField(int room, ulong limit)
    {
        int best = 0;
        if (room <= 0) return 0;
        foreach (int lengthBytes in (ReadOnlySpan<int>)[1, 2, 4])
        {
            ulong cap = lengthBytes switch { 1 => 63, 2 => 16383, _ => 1073741823 };
            long n = Math.Min((long)room - lengthBytes, (long)Math.Min(cap, limit));
            if (n > best) best = (int)n;
        }
        return best;
    }

    private static void CheckDataEnd(ulong offset, int dataLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dataLength);
        if (offset > VarInt.MaxValue || (ulong)dataLength > VarInt.MaxValue - offset)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "Offset plus length exceeds 2^62-1 (RFC 9000 §19.6, §19.8).");
    }
}
