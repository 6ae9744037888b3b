using Transport.Core.Time;

namespace Transport.Reliable.Congestion;

/// <summary>
/// HyStart++ (RFC 9406): leaves slow start when the RTT of a round rises above the previous round's, then grows
/// conservatively (CSS) for a few rounds before handing over to congestion avoidance. Rounds are tracked by send time:
/// a round ends when a packet sent after the round started is acknowledged (the time form of RFC 9406 §4.2's windowEnd).
/// </summary>
internal sealed class HyStartPlusPlus
{
    /// <summary>MIN_RTT_THRESH (RFC 9406 §4.3).</summary>
    public static readonly TimeSpan MinRttThresh = TimeSpan.FromMilliseconds(4);
    /// <summary>MAX_RTT_THRESH (RFC 9406 §4.3).</summary>
    public static readonly TimeSpan MaxRttThresh = TimeSpan.FromMilliseconds(16);
    /// <summary>MIN_RTT_DIVISOR (RFC 9406 §4.3).</summary>
    public const int MinRttDivisor = 8;
    /// <summary>N_RTT_SAMPLE (RFC 9406 §4.3).</summary>
    public const int NRttSample = 8;
    /// <summary>CSS_GROWTH_DIVISOR (RFC 9406 §4.3).</summary>
    public const int CssGrowthDivisor = 4;
    /// <summary>CSS_ROUNDS (RFC 9406 §4.3).</summary>
    public const int CssRounds = 5;

    private Instant _lastSentTime;
    private bool _anySent;
    private Instant? _windowEnd;        // the send time of the last packet sent when the round started
    private TimeSpan _lastRoundMinRtt = TimeSpan.MaxValue;
    private TimeSpan _currentRoundMinRtt = TimeSpan.MaxValue;
    private int _rttSampleCount;
    private TimeSpan _cssBaselineMinRtt = TimeSpan.MaxValue;
    private int _cssRoundCount;

    /// <summary>True while in Conservative Slow Start.</summary>
    public bool InConservativeSlowStart { get; private set; }

    /// <summary>True once HyStart++ decided slow start is over (CSS_ROUNDS of CSS completed).</summary>
    public bool SlowStartDone { get; private set; }

    /// <summary>Records the send time of the newest packet (the round marker).</summary>
    public void OnPacketSent(Instant now)
    {
        _lastSentTime = now;
        _anySent = true;
    }

    /// <summary>
    /// Processes one ACK during slow start or CSS and returns the divisor for this ACK's window growth:
    /// 1 in slow start, <see cref="CssGrowthDivisor"/> in CSS.
    /// </summary>
    public int OnAck(in AckEvent ack)
    {
        bool roundEnded = false;
        if (_windowEnd is { } end)
        {
            foreach (ref readonly AckedPacket p in ack.Packets)
                if (p.TimeSent > end) { roundEnded = true; break; }
        }

        if (_windowEnd is null || roundEnded)
        {
            if (roundEnded && InConservativeSlowStart)
            {
                // RFC 9406 §4.2: after CSS_ROUNDS rounds of CSS, enter congestion avoidance.
                _cssRoundCount++;
                if (_cssRoundCount >= CssRounds)
                {
                    SlowStartDone = true;
                    InConservativeSlowStart = false;
                    return 1;
                }
            }

            // RFC 9406 §4.2: start of a round.
            _lastRoundMinRtt = _currentRoundMinRtt;
            _currentRoundMinRtt = TimeSpan.MaxValue;
            _rttSampleCount = 0;
            _windowEnd = _anySent ? _lastSentTime : Instant.Zero;
        }

        if (ack.LatestRtt > TimeSpan.Zero)
        {
            if (ack.LatestRtt < _currentRoundMinRtt) _currentRoundMinRtt = ack.LatestRtt;
            _rttSampleCount++;
        }

        if (_rttSampleCount >= NRttSample && _currentRoundMinRtt != TimeSpan.MaxValue && _lastRoundMinRtt != TimeSpan.MaxValue)
        {
            if (!InConservativeSlowStart)
            {
                // RFC 9406 §4.2: RttThresh = clamp(lastRoundMinRTT / 8, 4 ms, 16 ms).
                TimeSpan thresh = RttThreshold(_lastRoundMinRtt);
                if (_currentRoundMinRtt >= _lastRoundMinRtt + thresh)
                {
                    _cssBaselineMinRtt = _currentRoundMinRtt;
                    InConservativeSlowStart = true;
                    _cssRoundCount = 0;
                }
            }
            else if (_currentRoundMinRtt < _cssBaselineMinRtt)
            {
                // RFC 9406 §4.2: the RTT increase was spurious; resume slow start.
                _cssBaselineMinRtt = TimeSpan.MaxValue;
                InConservativeSlowStart = false;
            }
        }

        return InConservativeSlowStart ? CssGrowthDivisor : 1;
    }

    /// <summary>RttThresh = max(MIN_RTT_THRESH, min(lastRoundMinRTT / MIN_RTT_DIVISOR, MAX_RTT_THRESH)) (RFC 9406 §4.2).</summary>
    public static TimeSpan RttThreshold(TimeSpan lastRoundMinRtt)
    {
        TimeSpan t = lastRoundMinRtt / MinRttDivisor;
        if (t > MaxRttThresh) t = MaxRttThresh;
        if (t < MinRttThresh) t = MinRttThresh;
        return t;
    }

    /// <summary>Forgets everything (after a congestion event ends slow start, RFC 9406 §4.2 leaves HyStart++).</summary>
    public void Reset()
    {
        _windowEnd = null;
        _lastRoundMinRtt = TimeSpan.MaxValue;
        _currentRoundMinRtt = TimeSpan.MaxValue;
        _rttSampleCount = 0;
        _cssBaselineMinRtt = TimeSpan.MaxValue;
        _cssRoundCount = 0;
        InConservativeSlowStart = false;
        SlowStartDone = false;
    }
}
