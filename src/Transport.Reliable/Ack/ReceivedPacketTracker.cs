using Transport.Core.Time;

namespace Transport.Reliable.Ack;

/// <summary>
/// The receive side of one packet number space: which packet numbers arrived (the ranges an ACK frame reports), which are
/// duplicates, and when an ACK frame is due (RFC 9000 §13.2). Pure: the caller passes the time of every event and reads
/// <see cref="AckDeadline"/> to arm its timer.
/// </summary>
public sealed class ReceivedPacketTracker
{
    /// <summary>The default number of ack-eliciting packets after which an ACK is sent at once (RFC 9000 §13.2.2: "at least every second").</summary>
    public const int DefaultAckElicitingThreshold = 2;

    private long _largestAckEliciting = -1;
    private int _ackElicitingSinceAck;
    private bool _newSinceAck;

    /// <summary>Creates a tracker for <paramref name="space"/>.</summary>
    /// <param name="space">The packet number space; Initial and Handshake packets are acknowledged immediately (RFC 9000 §13.2.1).</param>
    /// <param name="maxAckDelay">
    /// This endpoint's max_ack_delay (the transport parameter it advertised, RFC 9000 §18.2): the longest it may delay an
    /// ACK of an ack-eliciting packet in the application data space.
    /// </param>
    /// <param name="maxRanges">The bound on the ranges kept (and so reported).</param>
    /// <param name="ackElicitingThreshold">Ack-eliciting packets received after which an ACK is sent without delay.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is negative or zero where it must be positive.</exception>
    public ReceivedPacketTracker(PacketNumberSpace space, TimeSpan maxAckDelay, int maxRanges = AckRangeSet.DefaultMaxRanges,
        int ackElicitingThreshold = DefaultAckElicitingThreshold)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAckDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(ackElicitingThreshold, 1);
        Space = space;
        MaxAckDelay = maxAckDelay;
        AckElicitingThreshold = ackElicitingThreshold;
        Ranges = new AckRangeSet(maxRanges);
    }

    /// <summary>The packet number space this tracker serves.</summary>
    public PacketNumberSpace Space { get; }

    /// <summary>The longest an ACK of an ack-eliciting application data packet may be delayed.</summary>
    public TimeSpan MaxAckDelay { get; set; }

    /// <summary>Ack-eliciting packets after which an ACK is due at once.</summary>
    public int AckElicitingThreshold { get; set; }

    /// <summary>The received packet numbers, largest range first: what the next ACK frame reports.</summary>
    public AckRangeSet Ranges { get; }

    /// <summary>The largest packet number received, or -1 before the first.</summary>
    public long LargestReceived { get; private set; } = -1;

    /// <summary>When the packet numbered <see cref="LargestReceived"/> arrived.</summary>
    public Instant LargestReceivedTime { get; private set; }

    /// <summary>
    /// When an ACK frame must be sent at the latest, or null when no ack-eliciting packet awaits acknowledgment. An instant
    /// at or before now means "immediately". The connection arms its timer with this.
    /// </summary>
    public Instant? AckDeadline { get; private set; }

    /// <summary>
    /// True when packets arrived since the last ACK frame was sent: an ACK may be bundled with other frames even when none
    /// is due yet (a non-ack-eliciting packet alone never makes one due, RFC 9000 §13.2.1).
    /// </summary>
    public bool HasNewPackets => _newSinceAck && !Ranges.IsEmpty;

    /// <summary>Ack-eliciting packets received since the last ACK frame was sent.</summary>
    public int AckElicitingSinceLastAck => _ackElicitingSinceAck;

    /// <summary>True when an ACK frame is due at <paramref name="now"/>.</summary>
    public bool IsAckDue(Instant now) => AckDeadline is { } d && d <= now;

    /// <summary>
    /// True when <paramref name="packetNumber"/> was already received, or is too old to tell (below
    /// <see cref="AckRangeSet.Floor"/>; RFC 9000 §13.2.3 lets the receiver discard those). Check this before processing a
    /// packet's frames.
    /// </summary>
    public bool IsDuplicate(long packetNumber) => packetNumber < Ranges.Floor || Ranges.Contains(packetNumber);

    /// <summary>Records a packet that was received (and successfully decrypted).</summary>
    /// <param name="packetNumber">Its full packet number.</param>
    /// <param name="isAckEliciting">True when it carried a frame other than ACK, PADDING or CONNECTION_CLOSE.</param>
    /// <param name="now">When it arrived.</param>
    /// <param name="isEcnCe">True when its IP header carried the ECN-CE codepoint: acknowledged at once (RFC 9000 §13.2.1).</param>
    /// <returns>False, recording nothing, when it is a duplicate (see <see cref="IsDuplicate"/>).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The packet number is negative.</exception>
    public bool OnPacketReceived(long packetNumber, bool isAckEliciting, Instant now, bool isEcnCe = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(packetNumber);
        if (IsDuplicate(packetNumber)) return false;

        // RFC 9000 §13.2.1: acknowledge at once an ack-eliciting packet that is out of order: numbered below an ack-eliciting
        // packet already received, or above the largest one with packets missing in between.
        bool outOfOrder = false;
        if (isAckEliciting && _largestAckEliciting >= 0)
        {
            // Packet numbers below the floor were forgotten on purpose (RFC 9000 §13.2.4): they are no gap.
            outOfOrder = packetNumber < _largestAckEliciting
                || (packetNumber > _largestAckEliciting + 1
                    && !Ranges.ContainsAll(Math.Max(_largestAckEliciting + 1, Ranges.Floor), packetNumber - 1));
        }

        Ranges.Add(packetNumber);
        _newSinceAck = true;
        if (packetNumber > LargestReceived)
        {
            LargestReceived = packetNumber;
            LargestReceivedTime = now;
        }
        if (!isAckEliciting) return true;

        if (packetNumber > _largestAckEliciting) _largestAckEliciting = packetNumber;
        _ackElicitingSinceAck++;
        bool immediate = Space != PacketNumberSpace.ApplicationData // RFC 9000 §13.2.1: Initial and Handshake at once
            || outOfOrder
            || isEcnCe                                                 // RFC 9000 §13.2.1: CE-marked packets at once
            || _ackElicitingSinceAck >= AckElicitingThreshold;        // RFC 9000 §13.2.2: every second ack-eliciting packet
        Instant due = immediate ? now : now + MaxAckDelay;             // RFC 9000 §13.2.1: within max_ack_delay
        AckDeadline = AckDeadline is { } d ? Instant.Min(d, due) : due;
        return true;
    }

    /// <summary>
    /// The ACK Delay to report for <see cref="LargestReceived"/> in an ACK sent at <paramref name="now"/> (RFC 9000 §13.2.5:
    /// from the receipt of the largest acknowledged packet to the sending of the ACK).
    /// </summary>
    public TimeSpan GetAckDelay(Instant now)
    {
        if (LargestReceived < 0) return TimeSpan.Zero;
        var delay = now - LargestReceivedTime;
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }

    /// <summary>An ACK frame reporting <see cref="Ranges"/> was sent: nothing is due until more packets arrive.</summary>
    public void OnAckSent()
    {
        _ackElicitingSinceAck = 0;
        _newSinceAck = false;
        AckDeadline = null;
    }

    /// <summary>
    /// The peer acknowledged a packet that carried one of our ACK frames, whose Largest Acknowledged was
    /// <paramref name="largestAcknowledgedInAck"/>: stop reporting packet numbers up to it (RFC 9000 §13.2.4). Later
    /// packets numbered that low are treated as duplicates.
    /// </summary>
    public void OnAckFrameAcknowledged(long largestAcknowledgedInAck) => Ranges.RemoveUpTo(largestAcknowledgedInAck);
}
