using System.Diagnostics;

namespace Transport.Interop.Relay;

/// <summary>
/// The runner's crosstraffic flow (TESTCASES.md §3.1: an iperf3 TCP Cubic flow, <c>iperf3 -c server -R -C cubic</c>, so
/// its data goes server → client, through the same bottleneck as the QUIC transfer), modelled inside the relay: a bulk
/// TCP sender whose 1448-byte segments (1502 bytes on the wire with TCP/IP and PPP headers) join the to-client link's
/// queue and serializer like any datagram, so they take their share of the 10 Mbit/s and are dropped by the same
/// drop-tail queue. A delivered segment is acknowledged one propagation delay later (the return path's serialization
/// of the 52-byte ACKs is not modelled); its window follows RFC 9438 (CUBIC: slow start, β = 0.7, C = 0.4, the
/// Reno-friendly estimate). Simplifications: a dropped segment stays in flight and is noticed one queue-free round trip
/// after it was sent (as duplicate ACKs would tell), with at most one window reduction per round trip (fast recovery);
/// the ACK clock ignores the return link; segments are not
/// written to the captures (the runner's checks look at QUIC only). A real kernel TCP flow cannot be used: a
/// user-space relay terminates TCP, so its drops would never reach the sender's congestion control.
/// </summary>
internal sealed class CubicCrossFlow
{
    /// <summary>TCP payload per segment (Ethernet MSS with timestamps).</summary>
    public const int SegmentPayload = 1448;

    /// <summary>
    /// The relay link's item length whose serialization (it adds 8 UDP + 20 IP + 2 PPP) equals a TCP segment's 1502
    /// bytes: 1448 payload + 32 TCP header with timestamps + 20 IP + 2 PPP.
    /// </summary>
    public const int ItemLength = SegmentPayload + 32 - 8;

    private const double Beta = 0.7, C = 0.4, InitialWindow = 10;

    private readonly RelayLink _link;
    private readonly long _delayTicks;
    private readonly object _lock = new();
    private readonly Queue<long> _acks = new(); // acknowledgment due times (Stopwatch ticks), FIFO
    private readonly Queue<long> _losses = new(); // when the sender learns of a queue drop (Stopwatch ticks), FIFO
    private double _cwnd = InitialWindow, _ssthresh = double.MaxValue, _wMax, _k, _wEst;
    private long _epochStart = -1, _recoveryUntil = long.MinValue;
    private long _minRttTicks = long.MaxValue;
    private int _inFlight;
    private long _sent, _delivered, _dropped, _reductions;

    public CubicCrossFlow(RelayLink link, TimeSpan oneWayDelay)
    {
        _link = link;
        _delayTicks = RelayLink.ToStopwatchTicks(oneWayDelay);
    }

    /// <summary>Segments put on the link, delivered at the far end, dropped by the queue; window reductions.</summary>
    public (long Sent, long Delivered, long Dropped, long Reductions) Counters
    {
        get { lock (_lock) return (_sent, _delivered, _dropped, _reductions); }
    }

    /// <summary>The forwarding thread delivered one of our segments at <paramref name="now"/> (sent at <paramref name="sentTicks"/>).</summary>
    public void OnDelivered(long now, long sentTicks)
    {
        lock (_lock)
        {
            _delivered++;
            _acks.Enqueue(now + _delayTicks);
            long rtt = now + _delayTicks - sentTicks;
            if (rtt > 0 && rtt < _minRttTicks) _minRttTicks = rtt;
        }
    }

    /// <summary>The sender's loop, until <paramref name="stop"/> says so; wakes at least every millisecond.</summary>
    public void Run(Func<bool> stop)
    {
        long idle = RelayLink.ToStopwatchTicks(TimeSpan.FromMilliseconds(1));
        while (!stop())
        {
            long now = Stopwatch.GetTimestamp();
            long next = now + idle;
            lock (_lock)
            {
                while (_acks.TryPeek(out long due) && due <= now)
                {
                    _acks.Dequeue();
                    _inFlight--;
                    OnAck(now);
                }
                while (_losses.TryPeek(out long seen) && seen <= now)
                {
                    // The dropped segment stayed in flight until the sender could tell (duplicate ACKs, a round trip
                    // later); then the window shrinks and the retransmission goes out as new data.
                    _losses.Dequeue();
                    _inFlight--;
                    OnLoss(now);
                }
                while (_inFlight < (int)_cwnd)
                {
                    var item = new RelayItem { Buffer = [], Length = ItemLength, CrossTraffic = true, SentTicks = now };
                    _sent++;
                    _inFlight++;
                    if (!_link.Admit(now, ref item))
                    {
                        _dropped++;
                        _losses.Enqueue(now + RoundTripTicks);
                    }
                }
                if (_acks.TryPeek(out long first) && first < next) next = first;
                if (_losses.TryPeek(out long loss) && loss < next) next = loss;
            }
            Thread.Sleep(TimeSpan.FromTicks(Math.Max(0, (long)((next - Stopwatch.GetTimestamp()) * ((double)TimeSpan.TicksPerSecond / Stopwatch.Frequency)))));
        }
    }

    private void OnAck(long now)
    {
        if (_cwnd < _ssthresh)
        {
            _cwnd += 1; // slow start
            return;
        }
        // RFC 9438 §4.2: W_cubic(t) = C (t - K)^3 + W_max; §4.3: the Reno-friendly estimate grows by
        // 3 (1 - β) / (1 + β) segments per window; the window follows the larger one.
        if (_epochStart < 0)
        {
            _epochStart = now;
            _wEst = _cwnd;
            if (_wMax < _cwnd) { _wMax = _cwnd; _k = 0; }
        }
        double t = (now - _epochStart) / (double)Stopwatch.Frequency + MinRttSeconds;
        double target = C * Math.Pow(t - _k, 3) + _wMax;
        _wEst += 3 * (1 - Beta) / (1 + Beta) / _cwnd;
        if (target < _wEst) target = _wEst;
        if (target > _cwnd) _cwnd += Math.Min(target - _cwnd, 0.5 * _cwnd) / _cwnd;
    }

    // The queue-free round trip: what the sender's loss detection waits at least.
    private long RoundTripTicks => _minRttTicks == long.MaxValue ? 2 * _delayTicks : _minRttTicks;

    private double MinRttSeconds => _minRttTicks == long.MaxValue ? 0 : _minRttTicks / (double)Stopwatch.Frequency;

    private void OnLoss(long now)
    {
        if (now < _recoveryUntil) return; // one reduction per round trip (fast recovery)
        _reductions++;
        _wMax = _cwnd;
        _cwnd = Math.Max(2, _cwnd * Beta); // RFC 9438 §4.6
        _ssthresh = _cwnd;
        _k = Math.Cbrt(_wMax * (1 - Beta) / C);
        _epochStart = -1;
        // Losses of the window that was in flight at the reduction are the same congestion event (fast recovery).
        _recoveryUntil = now + RoundTripTicks + RelayLink.ToStopwatchTicks(TimeSpan.FromMilliseconds(25));
    }
}
