using Transport.Core.Time;

namespace Transport.Reliable.Congestion;

/// <summary>
/// NewReno as specified for QUIC by RFC 9002 §7 and Appendix B: slow start, one reduction per recovery period,
/// additive increase in congestion avoidance, collapse to the minimum window on persistent congestion, and undo of a
/// reduction caused by a loss that turned out to be spurious.
/// </summary>
public sealed class NewReno : ICongestionController
{
    /// <summary>kLossReductionFactor (RFC 9002 §7.3.2, Appendix B.2).</summary>
    public const double LossReductionFactor = 0.5;

    private int _maxDatagramSize;
    private long _congestionWindow;
    private long _ssthresh = long.MaxValue;
    private long _bytesAckedInAvoidance; // fractional growth carried between ACKs (B.5: cwnd += mds * acked / cwnd)
    private Instant? _recoveryStartTime; // congestion_recovery_start_time (B.2)
    private bool _inRecovery;
    private TimeSpan _smoothedRtt;

    // Undo state (RFC 9002 §7.8 leaves the reaction to spurious loss open): the values before the last reduction.
    private bool _canUndo;
    private long _undoWindow;
    private long _undoSsthresh;

    /// <summary>A NewReno controller for a path whose maximum datagram size is <paramref name="maxDatagramSize"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is not a possible UDP payload size.</exception>
    public NewReno(int maxDatagramSize)
    {
        WindowLimits.Validate(maxDatagramSize);
        _maxDatagramSize = maxDatagramSize;
        _congestionWindow = WindowLimits.InitialWindow(maxDatagramSize);
    }

    /// <inheritdoc />
    public string Name => "newreno";

    /// <inheritdoc />
    public long CongestionWindow => _congestionWindow;

    /// <summary>The slow start threshold in bytes; <see cref="long.MaxValue"/> until the first congestion event.</summary>
    public long SlowStartThreshold => _ssthresh;

    /// <summary>kMinimumWindow: 2 · max_datagram_size (RFC 9002 §7.2).</summary>
    public long MinimumWindow => WindowLimits.MinimumWindow(_maxDatagramSize);

    /// <summary>The maximum datagram size the limits are computed from.</summary>
    public int MaxDatagramSize => _maxDatagramSize;

    /// <inheritdoc />
    public double PacingRate => WindowLimits.PacingRate(_congestionWindow, _smoothedRtt);

    /// <inheritdoc />
    public CongestionState State =>
        _inRecovery ? CongestionState.Recovery
        : _congestionWindow < _ssthresh ? CongestionState.SlowStart
        : CongestionState.CongestionAvoidance;

    /// <inheritdoc />
    public void OnPacketSent(Instant now, int bytes, long bytesInFlight)
    {
        // Window growth needs nothing from the send side (RFC 9002 B.4).
    }

    /// <inheritdoc />
    public void OnAck(Instant now, in AckEvent ack)
    {
        if (ack.SmoothedRtt > TimeSpan.Zero) _smoothedRtt = ack.SmoothedRtt;
        foreach (ref readonly AckedPacket packet in ack.Packets)
        {
            // RFC 9002 B.5: a packet sent after the recovery period started ends it.
            if (_inRecovery && _recoveryStartTime is { } start && packet.TimeSent > start) _inRecovery = false;
            if (ack.IsWindowUnderutilized) continue;  // RFC 9002 §7.8: do not grow when not using the window
            if (InCongestionRecovery(packet.TimeSent)) continue;
            if (_congestionWindow < _ssthresh)
            {
                _congestionWindow += packet.Bytes; // RFC 9002 §7.3.1 slow start
            }
            else
            {
                // RFC 9002 §7.3.3: cwnd += max_datagram_size * acked / cwnd, with the remainder kept.
                _bytesAckedInAvoidance += packet.Bytes;
                if (_bytesAckedInAvoidance >= _congestionWindow)
                {
                    _bytesAckedInAvoidance -= _congestionWindow;
                    _congestionWindow += _maxDatagramSize;
                }
            }
        }
    }

    private bool InCongestionRecovery(Instant timeSent) => _recoveryStartTime is { } start && timeSent <= start;

    /// <inheritdoc />
    public void OnCongestionEvent(Instant now, in CongestionEvent congestion)
    {
        if (!InCongestionRecovery(congestion.LargestSentTime))
        {
            // RFC 9002 §7.3.2 and B.6: enter recovery, halve the window (ECN-CE the same way, §7.1).
            _undoWindow = _congestionWindow;
            _undoSsthresh = _ssthresh;
            _canUndo = true;
            _recoveryStartTime = now;
            _inRecovery = true;
            _ssthresh = (long)(_congestionWindow * LossReductionFactor);
            _congestionWindow = Math.Max(_ssthresh, MinimumWindow);
            _bytesAckedInAvoidance = 0;
        }

        if (congestion.IsPersistentCongestion)
        {
            // RFC 9002 §7.6.2 and B.8: collapse to the minimum window; this is not undone.
            _congestionWindow = MinimumWindow;
            _recoveryStartTime = null;
            _inRecovery = false;
            _canUndo = false;
            _bytesAckedInAvoidance = 0;
        }
    }

    /// <inheritdoc />
    public void OnSpuriousCongestionEvent(Instant now)
    {
        if (!_canUndo) return;
        // The loss that caused the last reduction was not a loss: restore the window and ssthresh saved before it.
        _congestionWindow = Math.Max(Math.Max(_undoWindow, _congestionWindow), MinimumWindow); // an undo never shrinks
        _ssthresh = _undoSsthresh;
        _inRecovery = false;
        _recoveryStartTime = null;
        _canUndo = false;
    }

    /// <inheritdoc />
    public void OnMaxDatagramSizeChanged(int maxDatagramSize)
    {
        WindowLimits.Validate(maxDatagramSize);
        // The minimum (and initial) window are multiples of the datagram size; keep the window at least the new minimum.
        _maxDatagramSize = maxDatagramSize;
        _congestionWindow = Math.Max(_congestionWindow, MinimumWindow);
    }
}
