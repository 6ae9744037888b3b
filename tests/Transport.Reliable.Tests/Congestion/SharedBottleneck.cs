using Transport.Core.Time;
using Transport.Reliable.Congestion;

namespace Transport.Reliable.Tests.Congestion;

/// <summary>
/// Several bulk senders through one bottleneck: the same packet-level model as <see cref="BottleneckLink"/> (pacer at
/// each controller's rate, window limit, one FIFO link of fixed rate behind a drop-tail queue, fixed propagation RTT,
/// per-packet ACKs, loss by the packet threshold or after 3 smoothed RTTs, draft-style delivery-rate samples), except
/// that every flow's packets enter the same queue, as flows through one router port do. Each flow may start later than
/// the first. Deterministic: no randomness at all unless <see cref="RandomLoss"/> is set (generator seeded with 1).
/// </summary>
internal sealed class SharedBottleneck
{
    internal sealed class Packet
    {
        public long Pn;
        public Instant Sent;
        public int Bytes;
        public long Delivered;
        public Instant DeliveredTime;
        public Instant FirstSentTime;
        public long TxInFlight;
        public long Lost;
    }

    /// <summary>One sender and its receiver's acknowledgments.</summary>
    public sealed class Flow
    {
        internal readonly List<Packet> Outstanding = new();
        internal readonly Queue<(Instant At, Packet P)> Acks = new();
        internal readonly AckedPacket[] AckedOne = new AckedPacket[1];
        internal readonly Pacer Pacer;
        internal long NextPn;
        internal long DeliveredTotal;
        internal Instant DeliveredTime;
        internal Instant FirstSentTime;
        internal long LostTotal;
        internal TimeSpan SmoothedRtt;
        internal TimeSpan MinRttSeen = TimeSpan.MaxValue;
        internal bool Started;

        internal Flow(ICongestionController cc, TimeSpan startAt, int mds)
        {
            Cc = cc;
            StartAt = startAt;
            Pacer = new Pacer(mds);
        }

        public ICongestionController Cc { get; }
        public TimeSpan StartAt { get; }
        public long BytesInFlight { get; internal set; }
        public long DeliveredBytes => DeliveredTotal;
        public long SentPackets { get; internal set; }
        public long DroppedPackets { get; internal set; }
        /// <summary>Sum of RTT samples and their count, for the mean RTT (queueing delay = mean − propagation).</summary>
        public double RttSumSeconds { get; internal set; }
        public long RttSamples { get; internal set; }
    }

    private readonly List<Flow> _flows = new();
    private readonly Random _random = new(1);
    private double _linkFreeAt; // seconds since the start: when the bottleneck finishes the last accepted packet
    private readonly Instant _start;

    public SharedBottleneck(double bytesPerSecond, TimeSpan propagationRtt, long queueLimitBytes, int mds = 1200)
    {
        _start = Instant.FromMilliseconds(1);
        Now = _start;
        Rate = bytesPerSecond;
        PropagationRtt = propagationRtt;
        QueueLimit = queueLimitBytes;
        Mds = mds;
    }

    public double Rate { get; }
    public TimeSpan PropagationRtt { get; }
    public long QueueLimit { get; }
    public int Mds { get; }
    public Instant Now { get; private set; }
    public TimeSpan Elapsed => Now - _start;
    public IReadOnlyList<Flow> Flows => _flows;

    /// <summary>Probability that a packet is dropped at random (non-congestive loss).</summary>
    public double RandomLoss { get; set; }

    public Flow AddFlow(ICongestionController cc, TimeSpan startAt)
    {
        var flow = new Flow(cc, startAt, Mds);
        _flows.Add(flow);
        return flow;
    }

    /// <summary>Runs every flow for <paramref name="duration"/> of virtual time.</summary>
    public void Run(TimeSpan duration)
    {
        Instant end = Now + duration;
        while (Now < end)
        {
            Instant next = end;
            foreach (Flow f in _flows)
            {
                if (!f.Started)
                {
                    if (_start + f.StartAt > Now)
                    {
                        if (_start + f.StartAt < next) next = _start + f.StartAt;
                        continue;
                    }
                    f.Started = true;
                    f.DeliveredTime = Now;
                    f.Pacer.SetRate(Now, f.Cc.PacingRate);
                }
                Instant at = Step(f);
                if (at < next) next = at;
            }
            if (next <= Now) continue; // something is due right now (a loss declared): go round again
            Now = next;
        }
    }

    /// <summary>Handles what is due for <paramref name="f"/> now; returns when it next needs attention.</summary>
    private Instant Step(Flow f)
    {
        while (f.Acks.Count > 0 && f.Acks.Peek().At <= Now) OnAckArrival(f, f.Acks.Dequeue().P);
        Instant next = Instant.MaxValue;
        while (f.BytesInFlight + Mds <= f.Cc.CongestionWindow)
        {
            Instant at = f.Pacer.NextSendTime(Now, Mds);
            if (at > Now) { next = at; break; }
            Send(f);
        }
        if (f.Acks.Count > 0 && f.Acks.Peek().At < next) next = f.Acks.Peek().At;
        if (f.Acks.Count == 0 && f.Outstanding.Count > 0)
        {
            TimeSpan srtt = f.SmoothedRtt > TimeSpan.Zero ? f.SmoothedRtt : PropagationRtt;
            Instant pto = f.Outstanding[^1].Sent + 3 * srtt;
            if (pto <= Now)
            {
                DeclareLost(f, f.Outstanding.Count);
                return Now;
            }
            if (pto < next) next = pto;
        }
        if (next == Instant.MaxValue) next = Now + TimeSpan.FromMilliseconds(1);
        return next;
    }

    private void Send(Flow f)
    {
        if (f.BytesInFlight == 0)
        {
            f.FirstSentTime = Now;
            f.DeliveredTime = Now;
        }
        f.BytesInFlight += Mds;
        var p = new Packet
        {
            Pn = f.NextPn++, Sent = Now, Bytes = Mds, Delivered = f.DeliveredTotal, DeliveredTime = f.DeliveredTime,
            FirstSentTime = f.FirstSentTime, TxInFlight = f.BytesInFlight, Lost = f.LostTotal,
        };
        f.Outstanding.Add(p);
        f.SentPackets++;
        f.Cc.OnPacketSent(Now, Mds, f.BytesInFlight);
        f.Pacer.OnPacketSent(Now, Mds);

        double t = (Now - _start).TotalSeconds;
        double queued = Math.Max(0, _linkFreeAt - t) * Rate;
        if (queued + p.Bytes > QueueLimit + Mds || (RandomLoss > 0 && _random.NextDouble() < RandomLoss))
        {
            f.DroppedPackets++;
            return;
        }
        _linkFreeAt = Math.Max(_linkFreeAt, t) + p.Bytes / Rate;
        Instant ackAt = _start + TimeSpan.FromTicks((long)Math.Ceiling(_linkFreeAt * TimeSpan.TicksPerSecond)) + PropagationRtt;
        f.Acks.Enqueue((ackAt, p));
    }

    private void DeclareLost(Flow f, int count)
    {
        long bytes = 0;
        Instant largest = Instant.Zero;
        for (int i = 0; i < count; i++)
        {
            bytes += f.Outstanding[i].Bytes;
            largest = f.Outstanding[i].Sent;
        }
        f.Outstanding.RemoveRange(0, count);
        long prior = f.BytesInFlight;
        f.BytesInFlight -= bytes;
        f.LostTotal += bytes;
        f.Cc.OnCongestionEvent(Now, new CongestionEvent
        {
            LargestSentTime = largest, LostBytes = bytes, BytesInFlight = f.BytesInFlight, PriorBytesInFlight = prior,
        });
        f.Pacer.SetRate(Now, f.Cc.PacingRate);
    }

    private void OnAckArrival(Flow f, Packet p)
    {
        // RFC 9002 §6.1.1: packets 3 or more below the acknowledged one are lost (the link is FIFO).
        int lostCount = 0;
        while (lostCount < f.Outstanding.Count && f.Outstanding[lostCount].Pn <= p.Pn - 3) lostCount++;
        if (lostCount > 0) DeclareLost(f, lostCount);

        int index = f.Outstanding.IndexOf(p);
        if (index < 0) return;
        f.Outstanding.RemoveAt(index);
        long prior = f.BytesInFlight;
        f.BytesInFlight -= p.Bytes;
        f.DeliveredTotal += p.Bytes;
        f.DeliveredTime = Now;

        TimeSpan rtt = Now - p.Sent;
        if (rtt < f.MinRttSeen) f.MinRttSeen = rtt;
        f.SmoothedRtt = f.SmoothedRtt == TimeSpan.Zero ? rtt : (7 * f.SmoothedRtt + rtt) / 8;
        f.RttSumSeconds += rtt.TotalSeconds;
        f.RttSamples++;

        TimeSpan sendElapsed = p.Sent - p.FirstSentTime;
        TimeSpan ackElapsed = f.DeliveredTime - p.DeliveredTime;
        f.FirstSentTime = p.Sent;
        TimeSpan interval = sendElapsed > ackElapsed ? sendElapsed : ackElapsed;
        if (interval < f.MinRttSeen) interval = TimeSpan.Zero;
        var rs = new RateSample
        {
            Delivered = f.DeliveredTotal - p.Delivered,
            Interval = interval,
            PriorDelivered = p.Delivered,
            TotalDelivered = f.DeliveredTotal,
            TxInFlight = p.TxInFlight,
            Lost = f.LostTotal - p.Lost,
            IsApplicationLimited = false,
            Rtt = rtt,
        };
        f.AckedOne[0] = new AckedPacket(p.Pn, p.Sent, p.Bytes);
        var ack = new AckEvent
        {
            Packets = f.AckedOne,
            BytesAcked = p.Bytes,
            PriorBytesInFlight = prior,
            BytesInFlight = f.BytesInFlight,
            LatestRtt = rtt,
            SmoothedRtt = f.SmoothedRtt,
            MinRtt = f.MinRttSeen,
            RateSample = rs,
        };
        f.Cc.OnAck(Now, ack);
        f.Pacer.SetRate(Now, f.Cc.PacingRate);
    }

    /// <summary>Jain's fairness index of the given rates: (Σx)² / (n·Σx²).</summary>
    public static double Jain(params double[] rates)
    {
        double sum = 0, squares = 0;
        foreach (double x in rates)
        {
            sum += x;
            squares += x * x;
        }
        return squares == 0 ? double.NaN : sum * sum / (rates.Length * squares);
    }
}
