using Transport.Core.Time;
using Transport.Reliable.Congestion;

namespace Transport.Reliable.Recovery;

/// <summary>
/// Delivery-rate estimation (draft-ietf-ccwg-bbr "Delivery Rate Samples", after draft-cheng-iccrg-delivery-rate-estimation):
/// a snapshot of the connection's delivery state goes into every packet sent; when packets are acknowledged, the snapshot
/// of the newest one and the new state give a <see cref="RateSample"/>. One instance serves one connection path, across
/// packet number spaces. Pure and allocation-free.
/// </summary>
/// <remarks>
/// Per ACK: <see cref="OnPacketAcked"/> for each newly acknowledged in-flight packet, <see cref="OnPacketsLost"/> for
/// newly lost bytes, then <see cref="GenerateRateSample"/> once.
/// </remarks>
public sealed class DeliveryRateEstimator
{
    // The sample being assembled for the current ACK (the draft's rs).
    private bool _hasData;
    private long _priorDelivered;
    private TimeSpan _sendElapsed;
    private TimeSpan _ackElapsed;
    private bool _sampleAppLimited;
    private long _txInFlight;
    private long _priorLost;
    private Instant _newestSentTime;
    private long _newestPacketNumber;
    private TimeSpan _rtt;

    /// <summary>C.delivered: total bytes acknowledged.</summary>
    public long Delivered { get; private set; }

    /// <summary>C.delivered_time: when <see cref="Delivered"/> last grew.</summary>
    public Instant DeliveredTime { get; private set; }

    /// <summary>C.first_sent_time: the send time of the newest packet acknowledged so far (start of the send interval).</summary>
    public Instant FirstSentTime { get; private set; }

    /// <summary>C.lost: total bytes declared lost.</summary>
    public long Lost { get; private set; }

    /// <summary>
    /// C.app_limited: 0 when not application-limited, otherwise the value <see cref="Delivered"/> must exceed before samples
    /// stop being marked application-limited (the end of the "bubble").
    /// </summary>
    public long AppLimitedUntil { get; private set; }

    /// <summary>True while packets sent are marked application-limited.</summary>
    public bool IsApplicationLimited => AppLimitedUntil != 0;

    /// <summary>
    /// Records the delivery state in a packet being sent (the draft's OnPacketSent / BBRUpdateOnSend).
    /// </summary>
    /// <param name="now">The send time.</param>
    /// <param name="bytesInFlightBefore">Bytes in flight before this packet.</param>
    /// <param name="bytes">The packet's size.</param>
    /// <returns>The snapshot to store with the packet.</returns>
    public DeliverySnapshot OnPacketSent(Instant now, long bytesInFlightBefore, int bytes)
    {
        if (bytesInFlightBefore == 0)
        {
            // Nothing in flight: the send and ack intervals restart now.
            FirstSentTime = now;
            DeliveredTime = now;
        }
        return new DeliverySnapshot(Delivered, DeliveredTime, FirstSentTime, AppLimitedUntil != 0, bytesInFlightBefore + bytes, Lost);
    }

    /// <summary>
    /// The sender has nothing to send although the window would allow it: marks the "bubble" so samples taken until it is
    /// acknowledged are flagged application-limited (C.app_limited = (C.delivered + C.inflight) or 1).
    /// </summary>
    public void OnApplicationLimited(long bytesInFlight)
    {
        long until = Delivered + bytesInFlight;
        AppLimitedUntil = until > 0 ? until : 1;
    }

    /// <summary>A newly acknowledged in-flight packet (the draft's UpdateRateSample).</summary>
    /// <param name="packetNumber">Its packet number (breaks ties between equal send times).</param>
    /// <param name="timeSent">Its send time.</param>
    /// <param name="bytes">Its size.</param>
    /// <param name="snapshot">The snapshot taken when it was sent.</param>
    /// <param name="now">When the ACK arrived.</param>
    public void OnPacketAcked(long packetNumber, Instant timeSent, int bytes, in DeliverySnapshot snapshot, Instant now)
    {
        Delivered += bytes;
        DeliveredTime = now;
        // Use the newest packet acknowledged by this ACK for the sample.
        if (!_hasData || timeSent > _newestSentTime || (timeSent == _newestSentTime && packetNumber > _newestPacketNumber))
        {
            _hasData = true;
            _newestSentTime = timeSent;
            _newestPacketNumber = packetNumber;
            _priorDelivered = snapshot.Delivered;
            _sampleAppLimited = snapshot.IsApplicationLimited;
            _sendElapsed = timeSent - snapshot.FirstSentTime;
            _ackElapsed = DeliveredTime - snapshot.DeliveredTime;
            _txInFlight = snapshot.TxInFlight;
            _priorLost = snapshot.Lost;
            _rtt = now - timeSent;
            FirstSentTime = timeSent;
        }
    }

    /// <summary>Bytes newly declared lost (they feed the sample's <see cref="RateSample.Lost"/>).</summary>
    public void OnPacketsLost(long bytes) => Lost += bytes;

    /// <summary>
    /// Ends the ACK: produces the sample for it (the draft's GenerateRateSample) and starts a new one. The sample is
    /// invalid (zero <see cref="RateSample.Interval"/>) when nothing was delivered, or when the interval is shorter than
    /// <paramref name="minRtt"/> (too short to be reliable).
    /// </summary>
    public RateSample GenerateRateSample(TimeSpan minRtt)
    {
        // Clear the application-limited mark once the bubble is acknowledged.
        if (AppLimitedUntil != 0 && Delivered > AppLimitedUntil) AppLimitedUntil = 0;
        if (!_hasData) return new RateSample { TotalDelivered = Delivered };
        _hasData = false;

        var interval = _sendElapsed > _ackElapsed ? _sendElapsed : _ackElapsed;
        if (interval < minRtt) interval = TimeSpan.Zero; // not a reliable sample
        return new RateSample
        {
            Delivered = Delivered - _priorDelivered,
            Interval = interval,
            PriorDelivered = _priorDelivered,
            TotalDelivered = Delivered,
            TxInFlight = _txInFlight,
            Lost = Lost - _priorLost,
            IsApplicationLimited = _sampleAppLimited,
            Rtt = _rtt,
        };
    }
}
