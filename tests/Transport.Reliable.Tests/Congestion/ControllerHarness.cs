using Transport.Core.Time;
using Transport.Reliable.Congestion;

namespace Transport.Reliable.Tests.Congestion;

/// <summary>
/// Drives a controller the way the loss-recovery layer does, with a queue of outstanding packets: sends, ACKs of the
/// oldest packets (with RTT and delivery-rate samples), losses, ECN signals, spurious-loss notices. No network: the test
/// decides what happens.
/// </summary>
internal sealed class ControllerHarness(ICongestionController cc, int maxDatagramSize = 1200)
{
    private sealed record Sent(long Pn, Instant TimeSent, int Bytes, long DeliveredAtSend, Instant DeliveredTimeAtSend, long InFlightAtSend, long LostAtSend);

    private readonly List<Sent> _outstanding = new();
    private long _nextPn;
    private long _delivered;
    private Instant _deliveredTime;
    private long _lost;
    private TimeSpan _smoothedRtt;
    private TimeSpan _minRtt = TimeSpan.MaxValue;

    public ICongestionController Cc { get; } = cc;
    public int MaxDatagramSize { get; private set; } = maxDatagramSize;
    public Instant Now { get; private set; } = Instant.FromMilliseconds(1000);
    public long BytesInFlight { get; private set; }
    public int Outstanding => _outstanding.Count;
    public TimeSpan Rtt { get; set; } = TimeSpan.FromMilliseconds(50);

    public void Advance(TimeSpan d) => Now += d;

    public void Send(int bytes = -1)
    {
        if (bytes < 0) bytes = MaxDatagramSize;
        BytesInFlight += bytes;
        _outstanding.Add(new Sent(_nextPn++, Now, bytes, _delivered, _deliveredTime, BytesInFlight, _lost));
        Cc.OnPacketSent(Now, bytes, BytesInFlight);
    }

    /// <summary>Acknowledges the <paramref name="count"/> oldest outstanding packets in one ACK.</summary>
    public void Ack(int count, bool appLimited = false, TimeSpan? rtt = null)
    {
        count = Math.Min(count, _outstanding.Count);
        if (count == 0) return;
        var packets = new AckedPacket[count];
        long bytes = 0;
        for (int i = 0; i < count; i++)
        {
            Sent s = _outstanding[i];
            packets[i] = new AckedPacket(s.Pn, s.TimeSent, s.Bytes);
            bytes += s.Bytes;
        }
        Sent newest = _outstanding[count - 1];
        _outstanding.RemoveRange(0, count);
        long prior = BytesInFlight;
        BytesInFlight -= bytes;
        _delivered += bytes;
        _deliveredTime = Now;

        TimeSpan latest = rtt ?? Rtt;
        if (_smoothedRtt == TimeSpan.Zero) _smoothedRtt = latest;
        else _smoothedRtt = (7 * _smoothedRtt + latest) / 8;
        if (latest < _minRtt) _minRtt = latest;

        var rs = new RateSample
        {
            Delivered = _delivered - newest.DeliveredAtSend,
            Interval = Now - newest.DeliveredTimeAtSend,
            PriorDelivered = newest.DeliveredAtSend,
            TotalDelivered = _delivered,
            TxInFlight = newest.InFlightAtSend,
            Lost = _lost - newest.LostAtSend,
            IsApplicationLimited = appLimited,
            Rtt = latest,
        };
        var ack = new AckEvent
        {
            Packets = packets,
            BytesAcked = bytes,
            PriorBytesInFlight = prior,
            BytesInFlight = BytesInFlight,
            LatestRtt = latest,
            SmoothedRtt = _smoothedRtt,
            MinRtt = _minRtt,
            IsApplicationLimited = appLimited,
            IsWindowUnderutilized = appLimited,
            RateSample = rs,
        };
        Cc.OnAck(Now, ack);
    }

    /// <summary>Declares the <paramref name="count"/> oldest outstanding packets lost.</summary>
    public CongestionEvent Lose(int count, bool persistent = false)
    {
        count = Math.Min(count, _outstanding.Count);
        if (count == 0) return default;
        long bytes = 0;
        for (int i = 0; i < count; i++) bytes += _outstanding[i].Bytes;
        Instant largestSent = _outstanding[count - 1].TimeSent;
        _outstanding.RemoveRange(0, count);
        long prior = BytesInFlight;
        BytesInFlight -= bytes;
        _lost += bytes;
        var ev = new CongestionEvent
        {
            LargestSentTime = largestSent,
            LostBytes = bytes,
            BytesInFlight = BytesInFlight,
            PriorBytesInFlight = prior,
            IsPersistentCongestion = persistent,
        };
        Cc.OnCongestionEvent(Now, ev);
        return ev;
    }

    /// <summary>An ECN-CE increase reported by an ACK of the newest packet sent so far.</summary>
    public CongestionEvent Ecn()
    {
        Instant largest = _outstanding.Count > 0 ? _outstanding[^1].TimeSent : Now;
        var ev = new CongestionEvent { LargestSentTime = largest, BytesInFlight = BytesInFlight, PriorBytesInFlight = BytesInFlight, IsEcn = true };
        Cc.OnCongestionEvent(Now, ev);
        return ev;
    }

    public void Spurious() => Cc.OnSpuriousCongestionEvent(Now);

    public void ChangeMtu(int mds)
    {
        MaxDatagramSize = mds;
        Cc.OnMaxDatagramSizeChanged(mds);
    }

    /// <summary>Sends a full window, waits an RTT and acknowledges it all, <paramref name="rounds"/> times.</summary>
    public void RunRounds(int rounds, bool appLimited = false)
    {
        for (int r = 0; r < rounds; r++)
        {
            while (BytesInFlight + MaxDatagramSize <= Cc.CongestionWindow) Send();
            Advance(Rtt);
            while (Outstanding > 0) Ack(2, appLimited);
        }
    }
}
