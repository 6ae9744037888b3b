namespace Transport.Reliable.Ack;

/// <summary>
/// The arithmetic between decoded <see cref="AckRange"/>s and the ACK frame's first-range/gap form (RFC 9000 §19.3.1),
/// with the underflow checks the RFC requires. The QUIC layer reads and writes the variable-length integers; this class
/// only does the arithmetic, so a bad frame becomes a <see cref="ReliableError"/>, never an exception.
/// </summary>
public static class AckRangeEncoding
{
    /// <summary>
    /// The first range of an ACK frame: <c>smallest = largestAcknowledged - firstAckRange</c> (RFC 9000 §19.3.1).
    /// </summary>
    /// <param name="largestAcknowledged">The frame's Largest Acknowledged field.</param>
    /// <param name="firstAckRange">The frame's First ACK Range field.</param>
    /// <param name="range">The decoded range, when the result is <see cref="ReliableError.None"/>.</param>
    /// <returns><see cref="ReliableError.AckRangeUnderflow"/> when the range would reach below packet number 0.</returns>
    public static ReliableError DecodeFirst(long largestAcknowledged, long firstAckRange, out AckRange range)
    {
        range = default;
        if (largestAcknowledged < 0 || firstAckRange < 0) return ReliableError.MalformedAckRanges;
        if (firstAckRange > largestAcknowledged) return ReliableError.AckRangeUnderflow;
        range = new AckRange(largestAcknowledged - firstAckRange, largestAcknowledged);
        return ReliableError.None;
    }

    /// <summary>
    /// A following range of an ACK frame: <c>largest = previous.Smallest - gap - 2</c>,
    /// <c>smallest = largest - ackRangeLength</c> (RFC 9000 §19.3.1).
    /// </summary>
    /// <param name="previous">The range decoded just before (the next larger one).</param>
    /// <param name="gap">The Gap field.</param>
    /// <param name="ackRangeLength">The ACK Range Length field.</param>
    /// <param name="range">The decoded range, when the result is <see cref="ReliableError.None"/>.</param>
    /// <returns><see cref="ReliableError.AckRangeUnderflow"/> when a computed packet number is negative.</returns>
    public static ReliableError DecodeNext(AckRange previous, long gap, long ackRangeLength, out AckRange range)
    {
        range = default;
        if (gap < 0 || ackRangeLength < 0) return ReliableError.MalformedAckRanges;
        // previous.Smallest - gap - 2 >= 0, written so it cannot overflow.
        if (gap > previous.Smallest - 2) return ReliableError.AckRangeUnderflow;
        long largest = previous.Smallest - gap - 2;
        if (ackRangeLength > largest) return ReliableError.AckRangeUnderflow;
        range = new AckRange(largest - ackRangeLength, largest);
        return ReliableError.None;
    }

    /// <summary>The First ACK Range field for the largest range: <c>Largest - Smallest</c>.</summary>
    public static long EncodeFirst(AckRange first) => first.Largest - first.Smallest;

    /// <summary>
    /// The Gap and ACK Range Length fields for <paramref name="current"/>, which follows <paramref name="previous"/>
    /// (the next larger range) in an ACK frame.
    /// </summary>
    /// <exception cref="ArgumentException">The ranges are not disjoint, non-adjacent and descending.</exception>
    public static void EncodeNext(AckRange previous, AckRange current, out long gap, out long ackRangeLength)
    {
        if (current.Largest > previous.Smallest - 2)
            throw new ArgumentException($"Range {current} must lie below {previous} with at least one missing packet number between them.", nameof(current));
        gap = previous.Smallest - current.Largest - 2;
        ackRangeLength = current.Largest - current.Smallest;
    }
}
