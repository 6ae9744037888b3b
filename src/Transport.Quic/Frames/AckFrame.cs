using Transport.Core.Wire;

namespace Transport.Quic.Frames;

/// <summary>
/// A received ACK frame (RFC 9000 §19.3), type 0x02 or 0x03, as a view over the packet payload. The ACK ranges are
/// decoded lazily from the frame's bytes by <see cref="Ranges"/>; nothing is copied or allocated. Only frames that the
/// <see cref="FrameReader"/> validated (no range underflows) are exposed this way.
/// </summary>
public readonly ref struct AckFrame
{
    private readonly ReadOnlySpan<byte> _rangeBytes;
    private readonly ReadOnlySpan<byte> _ecnBytes;

    internal AckFrame(ulong largestAcknowledged, ulong ackDelay, ulong ackRangeCount, ulong firstAckRange,
        ReadOnlySpan<byte> rangeBytes, bool hasEcn, ReadOnlySpan<byte> ecnBytes)
    {
        LargestAcknowledged = largestAcknowledged;
        AckDelay = ackDelay;
        AckRangeCount = ackRangeCount;
        FirstAckRange = firstAckRange;
        _rangeBytes = rangeBytes;
        HasEcnCounts = hasEcn;
        _ecnBytes = ecnBytes;
    }

    /// <summary>The largest packet number acknowledged.</summary>
    public ulong LargestAcknowledged { get; }

    /// <summary>The encoded ACK Delay: microseconds divided by 2^ack_delay_exponent (see <see cref="GetAckDelay"/>).</summary>
    public ulong AckDelay { get; }

    /// <summary>The number of Gap/ACK Range Length pairs after the first range.</summary>
    public ulong AckRangeCount { get; }

    /// <summary>The number of packets below <see cref="LargestAcknowledged"/> that the first range also acknowledges.</summary>
    public ulong FirstAckRange { get; }

    /// <summary>True for type 0x03, which carries <see cref="EcnCounts"/>.</summary>
    public bool HasEcnCounts { get; }

    /// <summary>The smallest packet number of the first (highest) range.</summary>
    public ulong FirstRangeSmallest => LargestAcknowledged - FirstAckRange;

    /// <summary>The ECN counts, or null for type 0x02.</summary>
    public EcnCounts? EcnCounts
    {
        get
        {
            if (!HasEcnCounts) return null;
            var r = new SpanReader(_ecnBytes);
            return new EcnCounts(r.ReadVarInt(), r.ReadVarInt(), r.ReadVarInt());
        }
    }

    /// <summary>The acknowledged ranges, highest first, starting with the first range; decoded lazily.</summary>
    public AckRangeEnumerator Ranges => new(LargestAcknowledged, FirstAckRange, _rangeBytes);

    /// <summary>
    /// The ACK Delay scaled by 2^<paramref name="ackDelayExponent"/> microseconds (RFC 9000 §19.3, §18.2), saturating at
    /// <see cref="TimeSpan.MaxValue"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The exponent exceeds 20.</exception>
    public TimeSpan GetAckDelay(int ackDelayExponent)
    {
        if ((uint)ackDelayExponent > 20)
            throw new ArgumentOutOfRangeException(nameof(ackDelayExponent), ackDelayExponent, "ack_delay_exponent is 0 to 20 (RFC 9000 §18.2).");
        // AckDelay < 2^62; shifting by up to 20 may overflow 64 bits, so saturate.
        if (AckDelay > (ulong)(TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMicrosecond) >> ackDelayExponent)
            return TimeSpan.MaxValue;
        return TimeSpan.FromTicks((long)(AckDelay << ackDelayExponent) * TimeSpan.TicksPerMicrosecond);
    }
}
