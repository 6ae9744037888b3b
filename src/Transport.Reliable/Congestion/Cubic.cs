using Transport.Core.Time;

namespace Transport.Reliable.Congestion;

/// <summary>
/// CUBIC (RFC 9438) with HyStart++ (RFC 9406) for the initial slow start: W_cubic(t) = C·(t−K)³ + W_max, a Reno-friendly
/// estimate W_est, fast convergence, a target capped at 1.5·cwnd, an epoch that skips idle periods (nothing in flight)
/// and restarts after application-limited ACKs, and undo of a reduction caused by a spurious loss.
/// </summary>
public sealed class Cubic : ICongestionController
{
    /// <summary>C (RFC 9438 §5.1), in segments per second cubed.</summary>
    public const double C = 0.4;

    /// <summary>β_cubic (RFC 9438 §4.6).</summary>
    public const double Beta = 0.7;

    /// <summary>α_cubic = 3·(1−β_cubic)/(1+β_cubic) (RFC 9438 §4.3).</summary>
    public const double Alpha = 3 * (1 - Beta) / (1 + Beta);

    private readonly HyStartPlusPlus _hyStart = new();
    private int _maxDatagramSize;
    private TimeSpan _smoothedRtt;
    private bool _inRecovery;
    private Instant? _recoveryStartTime;
    private Instant? _lastReductionTime;
    private bool _idle;
    private Instant _idleSince;
    private Snapshot _s;
    private bool _canUndo;
    private Snapshot _undo;

    // Everything the undo of a reduction restores (RFC 9438 §4.9).
    private struct Snapshot
    {
        public double Cwnd;          // bytes, kept fractional so per-ACK growth is not truncated
        public long Ssthresh;
        public double WMax;          // bytes; 0 until the first congestion event
        public double CwndPrior;     // cwnd before the last reduction (switches α_cubic to 1, §4.3)
        public Instant? EpochStart;
        public double K;             // seconds
        public double CwndEpoch;     // bytes
        public double WEst;          // bytes
    }

    /// <summary>A CUBIC controller for a path whose maximum datagram size is <paramref name="maxDatagramSize"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is not a possible UDP payload size.</exception>
    public Cubic(int maxDatagramSize)
    {
        WindowLimits.Validate(maxDatagramSize);
        _maxDatagramSize = maxDatagramSize;
        _s.Cwnd = WindowLimits.InitialWindow(maxDatagramSize);
        _s.Ssthresh = long.MaxValue;
    }

    /// <inheritdoc />
    public string Name => "cubic";

    /// <inheritdoc />
    public long CongestionWindow => (long)_s.Cwnd;

    /// <summary>The slow start threshold in bytes; <see cref="long.MaxValue"/> until slow start ends.</summary>
    public long SlowStartThreshold => _s.Ssthresh;

    /// <summary>The minimum window, 2 · max_datagram_size (RFC 9002 §7.2).</summary>
    public long MinimumWindow => WindowLimits.MinimumWindow(_maxDatagramSize);

    /// <summary>W_max in bytes: the window before the last reduction, adjusted by fast convergence (RFC 9438 §4.7).</summary>
    public double WMax => _s.WMax;

    /// <summary>K in seconds for the current epoch (RFC 9438 §4.2); 0 when no epoch is running.</summary>
    public double K => _s.EpochStart is null ? 0 : _s.K;

    /// <summary>The Reno-friendly estimate W_est in bytes (RFC 9438 §4.3).</summary>
    public double WEst => _s.WEst;

    /// <inheritdoc />
    public double PacingRate => WindowLimits.PacingRate(CongestionWindow, _smoothedRtt);

    /// <inheritdoc />
    public CongestionState State =>
        _inRecovery ? CongestionState.Recovery
        : _s.Cwnd < _s.Ssthresh ? (_hyStart.InConservativeSlowStart ? CongestionState.ConservativeSlowStart : CongestionState.SlowStart)
        : CongestionState.CongestionAvoidance;

    /// <summary>K = cbrt((W_max − cwnd_epoch) / C), windows in segments (RFC 9438 §4.2).</summary>
    public static double ComputeK(double wMaxSegments, double cwndEpochSegments) =>
        Math.Cbrt((wMaxSegments - cwndEpochSegments) / C);

    /// <inheritdoc />
    public void OnPacketSent(Instant now, int bytes, long bytesInFlight)
    {
        _hyStart.OnPacketSent(now);
        if (_idle)
        {
            // Sending resumes after a period with nothing in flight: move the epoch start forward by the idle time so
            // the idle period does not count as growth time (RFC 9438 §5.8).
            if (_s.EpochStart is { } epoch && now > _idleSince) _s.EpochStart = epoch + (now - _idleSince);
            _idle = false;
        }
    }

    /// <inheritdoc />
    public void OnAck(Instant now, in AckEvent ack)
    {
        if (ack.SmoothedRtt > TimeSpan.Zero) _smoothedRtt = ack.SmoothedRtt;
        if (ack.BytesInFlight == 0)
        {
            _idle = true;
            _idleSince = now;
        }

        long bytesAcked = 0;
        foreach (ref readonly AckedPacket packet in ack.Packets)
        {
            if (_recoveryStartTime is { } start && packet.TimeSent <= start) continue; // RFC 9002 §7.3.2
            if (_inRecovery) _inRecovery = false; // a packet sent after recovery started was acknowledged
            bytesAcked += packet.Bytes;
        }

        if (ack.IsWindowUnderutilized)
        {
            // RFC 9002 §7.8: no growth while the window is not the limit; the epoch restarts when growth resumes.
            _s.EpochStart = null;
            return;
        }
        if (bytesAcked == 0) return;

        if (_s.Cwnd < _s.Ssthresh)
        {
            int divisor = 1;
            if (_s.Ssthresh == long.MaxValue)
            {
                // HyStart++ runs only during the initial slow start (RFC 9406 §4.2).
                divisor = _hyStart.OnAck(ack);
                if (_hyStart.SlowStartDone)
                {
                    _s.Ssthresh = (long)_s.Cwnd; // RFC 9406 §4.2: enter congestion avoidance
                    _s.EpochStart = null;
                    return;
                }
            }
            _s.Cwnd += (double)bytesAcked / divisor;
            return;
        }

        CongestionAvoidance(now, bytesAcked);
    }

    private void CongestionAvoidance(Instant now, long bytesAcked)
    {
        double mds = _maxDatagramSize;
        if (_s.EpochStart is null)
        {
            // RFC 9438 §4.2: a new epoch. When no reduction set W_max above the window (slow start ended without loss,
            // or growth resumed above it), W_max = cwnd so that K = 0.
            _s.EpochStart = now;
            _s.CwndEpoch = _s.Cwnd;
            if (_s.WMax < _s.Cwnd) _s.WMax = _s.Cwnd;
            _s.K = ComputeK(_s.WMax / mds, _s.CwndEpoch / mds);
            _s.WEst = _s.CwndEpoch; // RFC 9438 §4.3
        }

        double t = (now - _s.EpochStart.Value).TotalSeconds;
        double rtt = _smoothedRtt.TotalSeconds;

        // RFC 9438 §4.2: target = W_cubic(t + RTT), bounded to [cwnd, 1.5·cwnd].
        double target = WCubic(t + rtt);
        if (target < _s.Cwnd) target = _s.Cwnd;
        else if (target > 1.5 * _s.Cwnd) target = 1.5 * _s.Cwnd;

        // RFC 9438 §4.3: W_est += α · segments_acked / cwnd (in segments); α = 1 once W_est reaches cwnd_prior.
        double alpha = _s.WEst >= _s.CwndPrior ? 1.0 : Alpha;
        _s.WEst += alpha * mds * bytesAcked / _s.Cwnd;

        if (WCubic(t) < _s.WEst)
        {
            // Reno-friendly region: cwnd follows W_est (never shrinking on an ACK).
            _s.Cwnd = Math.Max(_s.Cwnd, _s.WEst);
        }
        else
        {
            // RFC 9438 §4.4, §4.5: cwnd += (target − cwnd) / cwnd per acknowledged segment.
            _s.Cwnd += (target - _s.Cwnd) * bytesAcked / _s.Cwnd;
        }
    }

    /// <summary>W_cubic(t) in bytes for the current epoch (RFC 9438 §4.2, Figure 1).</summary>
    private double WCubic(double t)
    {
        double d = t - _s.K;
        return C * d * d * d * _maxDatagramSize + _s.WMax;
    }

    /// <inheritdoc />
    public void OnCongestionEvent(Instant now, in CongestionEvent congestion)
    {
        if (!(_recoveryStartTime is { } start && congestion.LargestSentTime <= start))
        {
            _undo = _s;
            _canUndo = true;
            _recoveryStartTime = now;
            _inRecovery = true;
            _hyStart.Reset();

            // RFC 9438 §4.7 fast convergence, §4.6 multiplicative decrease. Fast convergence reads a peak below the
            // last one as a new flow taking its share. A loss of a packet sent within a round trip of the previous
            // reduction is no new peak: that reduction did not drain the overshoot (a slow start into a shallow queue
            // overflows it by about a window's worth, and 0.7 of that still overflows). Shrinking W_max again there
            // left it below the path's capacity, and the window crept back at the Reno-friendly pace.
            double cwnd = _s.Cwnd;
            bool continuesLastReduction = _lastReductionTime is { } last && congestion.LargestSentTime <= last + _smoothedRtt;
            _s.WMax = cwnd < _s.WMax && !continuesLastReduction ? cwnd * (1 + Beta) / 2 : cwnd;
            _lastReductionTime = now;
            _s.CwndPrior = cwnd;
            _s.Ssthresh = Math.Max((long)(cwnd * Beta), MinimumWindow);
            _s.Cwnd = _s.Ssthresh;
            _s.EpochStart = null;
        }

        if (congestion.IsPersistentCongestion)
        {
            // RFC 9002 §7.6.2: collapse to the minimum window (RFC 9438 §4.8); not undone.
            _s.Cwnd = MinimumWindow;
            _s.EpochStart = null;
            _recoveryStartTime = null;
            _inRecovery = false;
            _canUndo = false;
        }
    }

    /// <inheritdoc />
    public void OnSpuriousCongestionEvent(Instant now)
    {
        if (!_canUndo) return;
        // RFC 9438 §4.9: restore cwnd, ssthresh, W_max and the epoch saved before the reduction.
        double current = _s.Cwnd;
        _s = _undo;
        _s.Cwnd = Math.Max(Math.Max(_s.Cwnd, current), MinimumWindow); // an undo never shrinks the window
        _inRecovery = false;
        _recoveryStartTime = null;
        _canUndo = false;
    }

    /// <inheritdoc />
    public void OnMaxDatagramSizeChanged(int maxDatagramSize)
    {
        WindowLimits.Validate(maxDatagramSize);
        _maxDatagramSize = maxDatagramSize;
        if (_s.Cwnd < MinimumWindow) _s.Cwnd = MinimumWindow;
        _s.EpochStart = null; // K is in segments of the old size: start a new epoch
    }
}
