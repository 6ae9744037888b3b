using Transport.Core.Time;
using Transport.Reliable.Congestion;

namespace Transport.Reliable.Tests.Congestion;

/// <summary>
/// A tiny deterministic packet-level path for controller tests: a bulk sender (always has data, paced by <see cref="Pacer"/>
/// at the controller's rate and limited by its window), one FIFO bottleneck of fixed rate with a drop-tail queue, and a
/// fixed propagation RTT. Every packet is acknowledged on its own; losses are detected by the packet threshold
/// (RFC 9002 §6.1.1, 3 packets) or, when nothing is left to acknowledge, after 3 smoothed RTTs. Rate samples follow the
/// delivery-rate estimation of draft-ietf-ccwg-bbr §4.1 (delivered / max(send elapsed, ack elapsed)).
/// </summary>
internal sealed class BottleneckLink
{
    private sealed class Packet
    {
        public long Pn;
        public Instant Sent;
        public int Bytes;
        public long Delivered;
        public Instant DeliveredTime;
        public Instant FirstSentTime;
        public long TxInFlight;
        public long Lost;
        public bool IsAppLimited;
    }

    public readonly record struct Sample(Instant Time, TimeSpan Rtt, CongestionState State, double MaxBandwidth, long Round, long Cwnd, long BytesInFlight, double BandwidthLo, long InflightLo);

    private readonly List<Packet> _outstanding = new();
    private readonly Queue<(Instant At, Packet P)> _acks = new();
    private readonly AckedPacket[] _ackedOne = new AckedPacket[1];
    private readonly Pacer _pacer;
    private long _nextPn;
    private long _delivered;
    private Instant _deliveredTime;
    private Instant _firstSentTime;
    private long _lost;
    private TimeSpan _smoothedRtt;
    private TimeSpan _minRtt = TimeSpan.MaxValue;
    private double _linkFreeAt; // seconds: when the bottleneck finishes the last accepted packet

    /// <param name="start">The clock's first reading (1 ms when null); a real monotonic clock reads far from zero.</param>
    public BottleneckLink(ICongestionController cc, double bytesPerSecond, TimeSpan propagationRtt, long queueLimitBytes, int mds = 1200, Instant? start = null)
    {
        Now = start ?? Instant.FromMilliseconds(1);
        Cc = cc;
        Rate = bytesPerSecond;
        PropagationRtt = propagationRtt;
        QueueLimit = queueLimitBytes;
        Mds = mds;
        _pacer = new Pacer(mds);
        _pacer.SetRate(Now, cc.PacingRate);
    }

    public ICongestionController Cc { get; }
    public double Rate { get; }
    public TimeSpan PropagationRtt { get; }
    public long QueueLimit { get; }
    public int Mds { get; }
    public Instant Now { get; private set; }
    public long BytesInFlight { get; private set; }
    public long DroppedPackets { get; private set; }
    public long SentPackets { get; private set; }
    public long DeliveredBytes => _delivered;
    public List<Sample> Samples { get; } = new();

    /// <summary>
    /// When positive, the application produces data at this rate (bytes per second) instead of always having data; the
    /// sender is then application-limited whenever the window would allow more (draft-ietf-ccwg-bbr §4.1.2's C.app_limited).
    /// </summary>
    public double AppRate { get; set; }

    private double _appBytes;
    private Instant _appLastRefill;
    private long _appLimitedUntil; // C.app_limited: delivered mark after which samples are no longer app-limited

    /// <summary>Probability that a packet is dropped at random (non-congestive loss), from a generator seeded with 1.</summary>
    public double RandomLoss { get; set; }

    private readonly Random _random = new(1);

    /// <summary>
    /// Delay added to every packet sent from now on, after the bottleneck: stands for a standing queue that other flows
    /// hold (every RTT sample rises by it; the link's own rate is unchanged).
    /// </summary>
    public TimeSpan ExtraDelay { get; set; }

    /// <summary>The next this many packets sent are dropped at the bottleneck (a hand-made loss).</summary>
    public int DropNext { get; set; }

    /// <summary>Runs until <paramref name="condition"/> holds after an ACK, at most <paramref name="limit"/>.</summary>
    public bool RunUntil(Func<ICongestionController, bool> condition, TimeSpan limit)
    {
        Instant end = Now + limit;
        int seen = Samples.Count;
        while (Now < end)
        {
            Run(TimeSpan.FromMilliseconds(1));
            if (Samples.Count != seen && condition(Cc)) return true;
            seen = Samples.Count;
        }
        return false;
    }

    /// <summary>Runs the transfer for <paramref name="duration"/> of virtual time.</summary>
    public void Run(TimeSpan duration)
    {
        Instant end = Now + duration;
        while (Now < end)
        {
            while (_acks.Count > 0 && _acks.Peek().At <= Now) OnAckArrival(_acks.Dequeue().P);

            Instant next = Instant.MaxValue;
            if (AppRate > 0)
            {
                _appBytes = Math.Min(_appBytes + AppRate * (Now - _appLastRefill).TotalSeconds, 4.0 * Mds);
                _appLastRefill = Now;
            }
            while (BytesInFlight + Mds <= Cc.CongestionWindow)
            {
                if (AppRate > 0 && _appBytes < Mds)
                {
                    // The window allows more than the application has: application-limited.
                    _appLimitedUntil = Math.Max(_delivered + BytesInFlight, 1);
                    next = Now + TimeSpan.FromSeconds((Mds - _appBytes) / AppRate) + TimeSpan.FromTicks(1);
                    break;
                }
                Instant at = _pacer.NextSendTime(Now, Mds);
                if (at > Now) { next = at; break; }
                if (AppRate > 0) _appBytes -= Mds;
                Send();
            }
            if (_acks.Count > 0 && _acks.Peek().At < next) next = _acks.Peek().At;
            if (_acks.Count == 0 && _outstanding.Count > 0)
            {
                // Nothing will be acknowledged: the tail was dropped. Declare it lost after 3 smoothed RTTs.
                Instant pto = _outstanding[^1].Sent + 3 * (_smoothedRtt > TimeSpan.Zero ? _smoothedRtt : PropagationRtt);
                if (pto <= Now) { DeclareLost(_outstanding.Count); continue; }
                if (pto < next) next = pto;
            }
            if (next == Instant.MaxValue) next = Now + TimeSpan.FromMilliseconds(1);
            Now = next > end ? end : next;
        }
    }

    private void Send()
    {
        if (BytesInFlight == 0)
        {
            _firstSentTime = Now;
            _deliveredTime = Now;
        }
        BytesInFlight += Mds;
        var p = new Packet
        {
            Pn = _nextPn++, Sent = Now, Bytes = Mds, Delivered = _delivered, DeliveredTime = _deliveredTime,
            FirstSentTime = _firstSentTime, TxInFlight = BytesInFlight, Lost = _lost, IsAppLimited = _appLimitedUntil > 0,
        };
        _outstanding.Add(p);
        SentPackets++;
        Cc.OnPacketSent(Now, Mds, BytesInFlight);
        _pacer.OnPacketSent(Now, Mds);

        // The bottleneck: FIFO at a fixed rate behind a drop-tail queue; the whole propagation delay is on the way back.
        double t = Now.SinceZero.TotalSeconds;
        double queued = Math.Max(0, _linkFreeAt - t) * Rate;
        if (DropNext > 0 || queued + p.Bytes > QueueLimit + Mds || (RandomLoss > 0 && _random.NextDouble() < RandomLoss))
        {
            if (DropNext > 0) DropNext--;
            DroppedPackets++;
            return;
        }
        _linkFreeAt = Math.Max(_linkFreeAt, t) + p.Bytes / Rate;
        var ackAt = Instant.FromTicks((long)Math.Ceiling(_linkFreeAt * TimeSpan.TicksPerSecond)) + PropagationRtt + ExtraDelay;
        _acks.Enqueue((ackAt, p));
    }

    private void DeclareLost(int count)
    {
        long bytes = 0;
        Instant largest = Instant.Zero;
        for (int i = 0; i < count; i++)
        {
            bytes += _outstanding[i].Bytes;
            largest = _outstanding[i].Sent;
        }
        _outstanding.RemoveRange(0, count);
        long prior = BytesInFlight;
        BytesInFlight -= bytes;
        _lost += bytes;
        Cc.OnCongestionEvent(Now, new CongestionEvent
        {
            LargestSentTime = largest, LostBytes = bytes, BytesInFlight = BytesInFlight, PriorBytesInFlight = prior,
        });
        _pacer.SetRate(Now, Cc.PacingRate);
    }

    private void OnAckArrival(Packet p)
    {
        // RFC 9002 §6.1.1: packets 3 or more below the acknowledged one are lost (the drops, the link being FIFO).
        int lostCount = 0;
        while (lostCount < _outstanding.Count && _outstanding[lostCount].Pn <= p.Pn - 3) lostCount++;
        if (lostCount > 0) DeclareLost(lostCount);

        int index = _outstanding.IndexOf(p);
        if (index < 0) return; // already declared lost
        _outstanding.RemoveAt(index);
        long prior = BytesInFlight;
        BytesInFlight -= p.Bytes;
        _delivered += p.Bytes;
        _deliveredTime = Now;
        if (_appLimitedUntil > 0 && _delivered > _appLimitedUntil) _appLimitedUntil = 0;

        TimeSpan rtt = Now - p.Sent;
        if (rtt < _minRtt) _minRtt = rtt;
        _smoothedRtt = _smoothedRtt == TimeSpan.Zero ? rtt : (7 * _smoothedRtt + rtt) / 8;

        // Delivery rate estimation: the newest acknowledged packet gives the sample.
        TimeSpan sendElapsed = p.Sent - p.FirstSentTime;
        TimeSpan ackElapsed = _deliveredTime - p.DeliveredTime;
        _firstSentTime = p.Sent;
        TimeSpan interval = sendElapsed > ackElapsed ? sendElapsed : ackElapsed;
        if (interval < _minRtt) interval = TimeSpan.Zero; // too short to be trusted
        var rs = new RateSample
        {
            Delivered = _delivered - p.Delivered,
            Interval = interval,
            PriorDelivered = p.Delivered,
            TotalDelivered = _delivered,
            TxInFlight = p.TxInFlight,
            Lost = _lost - p.Lost,
            IsApplicationLimited = p.IsAppLimited,
            Rtt = rtt,
        };
        _ackedOne[0] = new AckedPacket(p.Pn, p.Sent, p.Bytes);
        var ack = new AckEvent
        {
            Packets = _ackedOne,
            BytesAcked = p.Bytes,
            PriorBytesInFlight = prior,
            BytesInFlight = BytesInFlight,
            LatestRtt = rtt,
            SmoothedRtt = _smoothedRtt,
            MinRtt = _minRtt,
            IsApplicationLimited = _appLimitedUntil > 0,
            IsWindowUnderutilized = _appLimitedUntil > 0,
            RateSample = rs,
        };
        Cc.OnAck(Now, ack);
        _pacer.SetRate(Now, Cc.PacingRate);
        var bbr = Cc as Bbr;
        Samples.Add(new Sample(Now, rtt, Cc.State, bbr?.MaxBandwidth ?? 0, bbr?.RoundCount ?? 0, Cc.CongestionWindow, BytesInFlight,
            bbr?.BandwidthLo ?? double.PositiveInfinity, bbr?.InflightLo ?? long.MaxValue));
    }
}
