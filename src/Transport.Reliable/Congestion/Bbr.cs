using Transport.Core.Time;

namespace Transport.Reliable.Congestion;

/// <summary>
/// BBR version 3 after the IETF CCWG draft (draft-ietf-ccwg-bbr): a model of the path (maximum bandwidth over the last
/// two ProbeBW cycles, minimum RTT over 10 s) drives the pacing rate and the window, with the states Startup, Drain,
/// ProbeBW (Down, Cruise, Refill, Up) and ProbeRTT, full-pipe detection, and the loss and ECN response through
/// inflight_hi, inflight_lo and bw_lo. It runs on the delivery-rate samples of <see cref="AckEvent.RateSample"/>.
/// </summary>
/// <remarks>
/// Where the sans-I/O interface gives less than the draft's per-packet hooks, this implementation approximates:
/// a <see cref="CongestionEvent"/> stands for the draft's per-lost-packet check (its lost bytes against the bytes in
/// flight before the loss); Startup's high-loss exit fires when a round's loss rate exceeds BBRLossThresh and the round saw at least BBRStartupFullLossCnt congestion events with losses (each standing for one or more lost ranges); an ECN-CE
/// signal counts as congestion for the lower bounds (bw_lo, inflight_lo), once per round; during ProbeRTT rate samples
/// are treated as application-limited (the draft marks the connection application-limited). The window does not grow
/// on an application-limited ACK (RFC 9002 §7.8).
/// <para>
/// Deliberate departures from the draft, for robustness to random (non-congestive) loss: (1) the lower bounds (bw_lo,
/// inflight_lo) are cut only after a round whose loss rate exceeds BBRLossThresh, or that saw ECN-CE, instead of after
/// every round with any loss; (2) the ProbeBW_UP "inflight too high" check runs once per round on the round's loss rate
/// instead of per ACK on rs.lost / rs.tx_in_flight (a burst losing over BBRLossThresh of the flight in one congestion
/// event still ends the probe at once); (3) every loss-rate comparison against BBRLossThresh (those two, Startup's
/// high-loss exit, the per-event check) also requires the excess to be beyond binomial noise,
/// <see cref="LossThreshConfidence"/> standard deviations (see <c>IsLossAboveThresh</c>). The draft's rules let
/// 1 % random loss hold a 100 Mbit/s, 50 ms path to about a quarter of its rate; with these, above 90 %, while shallow
/// buffers still bound inflight_hi and the loss rate (tests/Transport.Reliable.Tests/Congestion/BbrTests.cs).
/// </para>
/// <para>
/// Departures for flows sharing a deep buffer: (4) a loss that comes while the latest RTT sample shows a standing queue
/// of half the min RTT or more (<see cref="QueuedLossRttFactor"/>) is congestion whatever the round's loss rate, and
/// cuts the lower bounds as the draft does for any loss, with inflight_lo bounded by the BDP at bw_latest instead of
/// inflight_latest (which counts the standing queue); (5) Startup's high-loss exit leaves
/// inflight_hi unset when its losses came with such a queue. Random loss on a drained queue is unaffected. Two flows
/// through a 1-BDP buffer otherwise kept the shares Startup left them (a later flow ~20 %, Jain's index 0.74–0.86)
/// behind a full queue, every round losing well under BBRLossThresh
/// (tests/Transport.Reliable.Tests/Congestion/BbrFairnessTests.cs).
/// </para>
/// </remarks>
public sealed class Bbr : ICongestionController
{
    /// <summary>BBRStartupPacingGain = 4·ln 2 ≈ 2.77.</summary>
    public const double StartupPacingGain = 2.77;
    /// <summary>BBRStartupCwndGain.</summary>
    public const double StartupCwndGain = 2.0;
    /// <summary>
    /// BBRDrainPacingGain: 0.5 in draft-ietf-ccwg-bbr (any value at or below 1/BBRDefaultCwndGain drains Startup's queue
    /// within a round; the older draft-cardwell-iccrg-bbr-congestion-control-02 used 0.35).
    /// </summary>
    public const double DrainPacingGain = 0.5;
    /// <summary>BBRDefaultCwndGain, used in ProbeBW.</summary>
    public const double DefaultCwndGain = 2.0;
    /// <summary>Pacing gain of ProbeBW_DOWN.</summary>
    public const double ProbeBwDownPacingGain = 0.9;
    /// <summary>Pacing gain of ProbeBW_UP.</summary>
    public const double ProbeBwUpPacingGain = 1.25;
    /// <summary>Cwnd gain of ProbeBW_UP.</summary>
    public const double ProbeBwUpCwndGain = 2.25;
    /// <summary>BBRProbeRTTCwndGain.</summary>
    public const double ProbeRttCwndGain = 0.5;
    /// <summary>BBRPacingMarginPercent: pace 1 % below the estimated bandwidth.</summary>
    public const double PacingMarginPercent = 1;
    /// <summary>BBRLossThresh: the highest loss rate a probe tolerates.</summary>
    public const double LossThresh = 0.02;
    /// <summary>
    /// How many standard deviations of binomial noise a loss count must exceed BBRLossThresh by before BBR treats it as
    /// congestion (not in the draft; see <see cref="IsLossAboveThresh"/>). 2 is a one-sided test at about 97.7 %.
    /// </summary>
    public const double LossThreshConfidence = 2.0;

    /// <summary>BBRStartupFullLossCnt: the discontiguous losses in a round, besides the loss rate, that end Startup.</summary>
    public const int StartupFullLossCount = 6;
    /// <summary>BBRBeta: the multiplicative decrease of the bounds on loss.</summary>
    public const double BbrBeta = 0.7;
    /// <summary>BBRHeadroom: the share of inflight_hi left free for other flows when cruising.</summary>
    public const double Headroom = 0.15;
    /// <summary>Growth a round must show in Startup to count as still growing (25 %).</summary>
    public const double FullBwThreshold = 1.25;
    /// <summary>Rounds without that growth after which the pipe is full.</summary>
    public const int FullBwCount = 3;
    /// <summary>BBRMinRTTFilterLen.</summary>
    public static readonly TimeSpan MinRttFilterLength = TimeSpan.FromSeconds(10);
    /// <summary>BBRProbeRTTInterval.</summary>
    public static readonly TimeSpan ProbeRttInterval = TimeSpan.FromSeconds(5);
    /// <summary>BBRProbeRTTDuration.</summary>
    public static readonly TimeSpan ProbeRttDuration = TimeSpan.FromMilliseconds(200);
    /// <summary>BBRExtraAckedFilterLen, in rounds.</summary>
    public const int ExtraAckedFilterLength = 10;

    /// <summary>
    /// A loss that comes while the latest RTT sample is at least this multiple of the min RTT (a standing queue of half
    /// the min RTT or more) counts as congestion whatever the round's loss rate (not in the draft; see
    /// <c>AdaptLowerBoundsFromCongestion</c>). BBR's own probes queue about a quarter of the min RTT.
    /// </summary>
    public const double QueuedLossRttFactor = 1.5;

    private const long Infinity = long.MaxValue;

    private enum AckPhase { Init, ProbeStarting, ProbeFeedback, ProbeStopping, Refilling }

    private int _mds;
    private CongestionState _state;
    private double _pacingGain;
    private double _cwndGain;
    private long _cwnd;
    private double _pacingRate;
    private long _sendQuantum;
    private TimeSpan _smoothedRtt;
    private bool _sawRtt;

    // Delivery and rounds.
    private long _delivered;            // C.delivered, from the rate samples
    private long _nextRoundDelivered;
    private bool _roundStart;
    private long _roundCount;
    private long _roundsSinceBwProbe;

    // Bandwidth model.
    private readonly double[] _maxBwSlots = new double[2]; // [0] previous cycle, [1] current cycle (BBRMaxBwFilterLen = 2)
    private long _cycleCount;
    private double _maxBw;
    private double _bwLo = double.PositiveInfinity;
    private double _bw;
    private double _bwLatest;
    private long _inflightLatest;
    private long _inflightHi = Infinity;
    private long _inflightLo = Infinity;

    // Min RTT and ProbeRTT.
    private TimeSpan _minRtt = TimeSpan.MaxValue;
    private Instant _minRttStamp;
    private TimeSpan _probeRttMinDelay = TimeSpan.MaxValue;
    private Instant _probeRttMinStamp;
    private bool _probeRttExpired;
    private Instant? _probeRttDoneStamp;
    private bool _probeRttRoundDone;
    private long _priorCwnd;
    private bool _restorePending;
    private bool _idleRestart;

    // Full pipe.
    private double _fullBw;
    private int _fullBwCount;
    private bool _fullBwNow;
    private bool _filledPipe;

    // Loss rounds and congestion signals.
    private long _lossRoundDelivered;
    private bool _lossRoundStart;
    private bool _lossInRound;
    private bool _queuedLossInRound;     // a loss in this round came with a standing queue (QueuedLossRttFactor)
    private TimeSpan _latestRtt;
    private bool _ecnInRound;
    private bool _roundLossTooHigh;
    private long _lostInRound;
    private int _lossEventsInRound;
    private long _deliveredAtLossRoundStart;

    // ProbeBW cycle.
    private Instant _cycleStamp;
    private AckPhase _ackPhase;
    private TimeSpan _bwProbeWait;
    private int _bwProbeSamples;
    private int _bwProbeUpRounds;
    private long _bwProbeUpAcks;
    private long _probeUpCount = Infinity;
    private bool _isCwndLimited;
    private bool _lastAckAppLimited;

    // ACK aggregation (extra_acked), a two-slot windowed max over ExtraAckedFilterLength rounds.
    private readonly long[] _extraAckedSlots = new long[2];
    private int _extraAckedRounds;
    private long _extraAcked;
    private Instant _extraAckedIntervalStart;
    private long _extraAckedDelivered;

    // Recovery.
    private bool _inRecovery;
    private Instant? _recoveryStartTime;
    private bool _packetConservation;
    private long _conservationEndDelivered;
    private bool _canUndo;
    private long _undoCwnd, _undoInflightHi, _undoInflightLo;
    private double _undoBwLo;

    private ulong _random;

    /// <summary>A BBR controller for a path whose maximum datagram size is <paramref name="maxDatagramSize"/>.</summary>
    /// <param name="maxDatagramSize">The path's maximum datagram size (SMSS).</param>
    /// <param name="seed">Seed of the generator behind the randomised ProbeBW wait (2 to 3 s); fixed for reproducible runs.</param>
    /// <exception cref="ArgumentOutOfRangeException">The size is not a possible UDP payload size.</exception>
    public Bbr(int maxDatagramSize, ulong seed = 0x9E3779B97F4A7C15)
    {
        WindowLimits.Validate(maxDatagramSize);
        _mds = maxDatagramSize;
        _random = seed == 0 ? 1 : seed;
        _cwnd = InitialWindow;
        _priorCwnd = _cwnd;
        // BBRInitPacingRate: nominal bandwidth = InitialCwnd / (SRTT or 1 ms).
        _pacingRate = StartupPacingGain * InitialWindow / 0.001;
        _sendQuantum = 2L * _mds;
        EnterStartup();
    }

    /// <inheritdoc />
    public string Name => "bbr";

    /// <inheritdoc />
    public long CongestionWindow => _cwnd;

    /// <inheritdoc />
    public double PacingRate => _pacingRate;

    /// <inheritdoc />
    public CongestionState State => _state;

    /// <summary>BBRMinPipeCwnd: 4 · SMSS, the window BBR never goes below.</summary>
    public long MinimumWindow => 4L * _mds;

    /// <summary>The initial window (RFC 9002 §7.2).</summary>
    public long InitialWindow => WindowLimits.InitialWindow(_mds);

    /// <summary>BBR.max_bw: the windowed maximum of the delivery rate, in bytes per second.</summary>
    public double MaxBandwidth => _maxBw;

    /// <summary>BBR.bw: the bandwidth the model uses, min(max_bw, bw_lo), in bytes per second.</summary>
    public double Bandwidth => _bw;

    /// <summary>BBR.min_rtt; <see cref="TimeSpan.MaxValue"/> before any sample.</summary>
    public TimeSpan MinRtt => _minRtt;

    /// <summary>BBR.send_quantum: how many bytes the sender may pass to the network at once.</summary>
    public long SendQuantum => _sendQuantum;

    /// <summary>BBR.filled_pipe: Startup has found the bottleneck bandwidth.</summary>
    public bool FilledPipe => _filledPipe;

    /// <summary>BBR.round_count: packet-timed round trips so far.</summary>
    public long RoundCount => _roundCount;

    /// <summary>BBR.inflight_hi; <see cref="long.MaxValue"/> when unset.</summary>
    public long InflightHi => _inflightHi;

    /// <summary>BBR.inflight_lo; <see cref="long.MaxValue"/> when unset.</summary>
    public long InflightLo => _inflightLo;

    /// <summary>BBR.bw_lo in bytes per second; infinity when unset.</summary>
    public double BandwidthLo => _bwLo;

    private bool IsInAProbeBwState =>
        _state is CongestionState.ProbeBwDown or CongestionState.ProbeBwCruise or CongestionState.ProbeBwRefill or CongestionState.ProbeBwUp;

    // ---- events ----

    /// <inheritdoc />
    public void OnPacketSent(Instant now, int bytes, long bytesInFlight)
    {
        // Restarting from idle: nothing was in flight and the application had been the limit.
        if (bytesInFlight <= bytes && _lastAckAppLimited)
        {
            _idleRestart = true;
            _extraAckedIntervalStart = now;
            if (IsInAProbeBwState) SetPacingRateWithGain(1.0);
            else if (_state == CongestionState.ProbeRtt) CheckProbeRttDone(now);
        }
    }

    /// <inheritdoc />
    public void OnAck(Instant now, in AckEvent ack)
    {
        RateSample rs = ack.RateSample;
        if (ack.SmoothedRtt > TimeSpan.Zero)
        {
            _smoothedRtt = ack.SmoothedRtt;
            if (!_sawRtt && !_filledPipe)
            {
                _pacingRate = StartupPacingGain * InitialWindow / _smoothedRtt.TotalSeconds; // BBRInitPacingRate with SRTT
            }
            _sawRtt = true;
        }
        // C.delivered comes from the rate estimator; without one (all-zero samples), count the acknowledged bytes.
        _delivered = rs.TotalDelivered > 0 ? Math.Max(_delivered, rs.TotalDelivered) : _delivered + ack.BytesAcked;
        _lastAckAppLimited = ack.IsApplicationLimited;
        if (ack.LatestRtt > TimeSpan.Zero) _latestRtt = ack.LatestRtt;
        _isCwndLimited = !ack.IsApplicationLimited && ack.PriorBytesInFlight + _mds > _cwnd;

        if (_inRecovery && _recoveryStartTime is { } start)
        {
            foreach (ref readonly AckedPacket p in ack.Packets)
            {
                if (p.TimeSent > start)
                {
                    // A packet sent after recovery began was acknowledged: recovery is over, restore the window.
                    _inRecovery = false;
                    _packetConservation = false;
                    RestoreCwnd();
                    break;
                }
            }
        }

        UpdateModelAndState(now, ack, rs);
        UpdateControlParameters(ack);
    }

    /// <inheritdoc />
    public void OnCongestionEvent(Instant now, in CongestionEvent congestion)
    {
        _lastNow = now;
        if (congestion.LostBytes > 0 || congestion.IsEcn)
        {
            _lossInRound = true;
            _lostInRound += congestion.LostBytes;
            if (congestion.LostBytes > 0) _lossEventsInRound++;
            if (congestion.LostBytes > 0 && IsQueueStanding()) _queuedLossInRound = true;
            if (congestion.IsEcn) _ecnInRound = true;
        }

        bool newRecovery = !(_recoveryStartTime is { } start && congestion.LargestSentTime <= start);
        if (newRecovery)
        {
            _undoCwnd = _cwnd;
            _undoInflightHi = _inflightHi;
            _undoInflightLo = _inflightLo;
            _undoBwLo = _bwLo;
            _canUndo = true;
        }

        // The draft's per-lost-packet check: too much loss while probing caps inflight_hi.
        if (congestion.LostBytes > 0 && _bwProbeSamples > 0 &&
            IsLossAboveThresh(congestion.LostBytes, congestion.PriorBytesInFlight))
        {
            HandleInflightTooHigh(congestion.PriorBytesInFlight, _lastAckAppLimited);
        }

        if (newRecovery && congestion.LostBytes > 0)
        {
            // Entering loss recovery: save the window, then packet conservation for one round, starting from what is
            // still in flight (the lost bytes are already out of it).
            SaveCwnd();
            _recoveryStartTime = now;
            _inRecovery = true;
            _packetConservation = true;
            _conservationEndDelivered = _delivered;
            _cwnd = Math.Max(congestion.BytesInFlight + _mds, MinimumWindow);
        }
        else if (congestion.LostBytes > 0)
        {
            _cwnd = Math.Max(_cwnd - congestion.LostBytes, MinimumWindow); // BBRModulateCwndForRecovery
        }
        else if (newRecovery)
        {
            _recoveryStartTime = now; // ECN: one response per round trip
        }

        if (congestion.IsPersistentCongestion)
        {
            // RFC 9002 §7.6.2: collapse to the minimum window and do not restore the old one when recovery ends; the
            // model survives and regrows the window.
            _cwnd = MinimumWindow;
            _priorCwnd = MinimumWindow;
            _canUndo = false;
        }
    }

    /// <inheritdoc />
    public void OnSpuriousCongestionEvent(Instant now)
    {
        if (!_canUndo) return;
        _cwnd = Math.Max(_cwnd, _undoCwnd);
        _inflightHi = _undoInflightHi;
        _inflightLo = _undoInflightLo;
        _bwLo = _undoBwLo;
        _lossInRound = false;
        _ecnInRound = false;
        _lostInRound = 0;
        _lossEventsInRound = 0;
        _queuedLossInRound = false;
        _inRecovery = false;
        _packetConservation = false;
        _recoveryStartTime = null;
        _canUndo = false;
        BoundBwForModel();
    }

    /// <inheritdoc />
    public void OnMaxDatagramSizeChanged(int maxDatagramSize)
    {
        WindowLimits.Validate(maxDatagramSize);
        _mds = maxDatagramSize;
        if (_cwnd < MinimumWindow) _cwnd = MinimumWindow;
    }

    // ---- model ----

    private void UpdateModelAndState(Instant now, in AckEvent ack, in RateSample rs)
    {
        UpdateLatestDeliverySignals(rs);
        UpdateCongestionSignals(rs);
        UpdateAckAggregation(now, ack.BytesAcked);
        CheckFullBwReached(rs);
        CheckStartupDone();
        CheckDrainDone(ack.BytesInFlight);
        UpdateProbeBwCyclePhase(now, ack, rs);
        UpdateMinRtt(now, ack, rs);
        CheckProbeRtt(now, ack, rs);
        AdvanceLatestDeliverySignals(rs);
        BoundBwForModel();
    }

    private void UpdateLatestDeliverySignals(in RateSample rs)
    {
        _lossRoundStart = false;
        if (rs.IsValid)
        {
            _bwLatest = Math.Max(_bwLatest, rs.DeliveryRate);
            _inflightLatest = Math.Max(_inflightLatest, rs.Delivered);
        }
        if (rs.PriorDelivered >= _lossRoundDelivered)
        {
            _lossRoundDelivered = _delivered;
            _lossRoundStart = true;
        }
    }

    private void AdvanceLatestDeliverySignals(in RateSample rs)
    {
        if (_lossRoundStart && rs.IsValid)
        {
            _bwLatest = rs.DeliveryRate;
            _inflightLatest = rs.Delivered;
        }
    }

    private void UpdateRound(in RateSample rs)
    {
        if (rs.PriorDelivered >= _nextRoundDelivered)
        {
            StartRound();
            _roundCount++;
            _roundsSinceBwProbe++;
            _roundStart = true;
            if (_packetConservation && _delivered >= _conservationEndDelivered) _packetConservation = false;
        }
        else
        {
            _roundStart = false;
        }
    }

    private void StartRound() => _nextRoundDelivered = _delivered;

    private void UpdateMaxBw(in RateSample rs)
    {
        UpdateRound(rs);
        if (!rs.IsValid) return;
        bool appLimited = rs.IsApplicationLimited || _state == CongestionState.ProbeRtt;
        double rate = rs.DeliveryRate;
        if (rate >= _maxBw || !appLimited)
        {
            if (rate > _maxBwSlots[1]) _maxBwSlots[1] = rate;
            _maxBw = Math.Max(_maxBwSlots[0], _maxBwSlots[1]);
        }
    }

    private void AdvanceMaxBwFilter()
    {
        _cycleCount++;
        if (_maxBwSlots[1] == 0) return;
        _maxBwSlots[0] = _maxBwSlots[1];
        _maxBwSlots[1] = 0;
    }

    private void UpdateCongestionSignals(in RateSample rs)
    {
        UpdateMaxBw(rs);
        if (rs.Lost > 0) _lossInRound = true;
        if (!_lossRoundStart) return;
        _roundLossTooHigh = IsRoundLossTooHigh();
        CheckStartupHighLoss();
        AdaptLowerBoundsFromCongestion();
        _lossInRound = false;
        _queuedLossInRound = false;
        _ecnInRound = false;
        _lostInRound = 0;
        _lossEventsInRound = 0;
        _deliveredAtLossRoundStart = _delivered;
    }

    private void CheckStartupHighLoss()
    {
        // Startup's loss exit: the round just ended lost more than BBRLossThresh of what it carried.
        if (_state != CongestionState.Startup || !_lossInRound || _lostInRound == 0) return;
        // draft-ietf-ccwg-bbr BBRCheckStartupHighLoss: also at least BBRStartupFullLossCnt (6) discontiguous losses in the
        // round; each congestion event stands for at least one. Without it one random loss in a small early round
        // (1 of 10 packets is 10 %) ends Startup far below the path's BDP.
        if (_lossEventsInRound < StartupFullLossCount) return;
        long deliveredInRound = _delivered - _deliveredAtLossRoundStart;
        if (IsLossAboveThresh(_lostInRound, deliveredInRound + _lostInRound))
        {
            _filledPipe = true;
            // Departure from the draft: when the losses came with a standing queue of half the min RTT or more, the
            // buffer was already full (another flow's queue, or this Startup's own overshoot into a deep buffer), and
            // the flight this round carried is the share Startup happened to hold, not what the path holds: a flow
            // starting beside a BBR flow capped itself at its first 20 % share and, as inflight_hi only grows in a
            // probe that is window-limited at it, stayed there for tens of seconds. The queued-loss lower bounds
            // (AdaptLowerBoundsFromCongestion) answer that congestion; the first probe sets inflight_hi.
            if (!_queuedLossInRound) _inflightHi = Math.Max(BdpMultiple(_bw, 1.0), _inflightLatest);
        }
    }

    private void AdaptLowerBoundsFromCongestion()
    {
        if (IsProbingBw()) return;
        // Departure from draft-ietf-ccwg-bbr (BBRAdaptLowerBoundsFromCongestion cuts bw_lo and inflight_lo after every
        // round with any loss): only a round whose loss rate exceeds BBRLossThresh, or that carried an ECN-CE mark,
        // counts as congestion here. A round below the bottleneck with random loss delivers ~(1 - p) of what it sent,
        // so its best rate sample (bw_latest) sits just under the pacing rate; cutting bw_lo to it every round ratchets
        // the rate down geometrically between probes (24 % of a 100 Mbit/s link at 1 % random loss). BBRLossThresh is
        // the loss rate the draft already tolerates when probing (IsInflightTooHigh) and that Linux BBRv3 uses for
        // inflight_hi; real congestion (a shallow buffer, competing flows) overflows the queue and loses well above it.
        //
        // A loss that came with a standing queue of half the min RTT or more (QueuedLossRttFactor) is congestion whatever
        // the round's loss rate: random loss on an idle path comes with RTTs near the min RTT, and BBR alone queues at
        // most about a quarter of it while probing. Flows sharing a deep drop-tail buffer are the case: with cwnd =
        // 2·BDP each, the 1-BDP buffer stays full, every flow is window-limited, its delivery rate is its share of the
        // queue, and the shares stay where Startup left them (a later flow got 20 %) while each round loses well under
        // BBRLossThresh. There, inflight_latest (what one round trip delivered) counts the standing queue as well as
        // the pipe, so the draft's inflight_lo would keep the queue; bounded by the flow's BDP at bw_latest (with β as
        // the floor, so at most 30 % a round), every flow gives back its share of the queue, the flows become
        // pacing-limited, and the probes (which gain a small flow proportionally more) move the shares together
        // (tests/Transport.Reliable.Tests/Congestion/BbrFairnessTests.cs; bounding by BDP · (1 + BBRHeadroom) instead
        // left a larger queue: the tour's BBR vs BBR 0.912 with 16.3 ms mean queueing against 0.925 with 12.6 ms).
        if (_ecnInRound || _roundLossTooHigh || _queuedLossInRound)
        {
            if (double.IsPositiveInfinity(_bwLo)) _bwLo = _maxBw;
            if (_inflightLo == Infinity) _inflightLo = _cwnd;
            _bwLo = Math.Max(_bwLatest, BbrBeta * _bwLo);
            long latest = _inflightLatest;
            if (_queuedLossInRound && _bwLatest > 0) latest = Math.Min(latest, BdpMultiple(_bwLatest, 1.0));
            _inflightLo = Math.Max(latest, (long)(BbrBeta * _inflightLo));
        }
    }

    /// <summary>The latest RTT sample shows a standing queue of at least (QueuedLossRttFactor − 1) min RTTs.</summary>
    private bool IsQueueStanding() =>
        _minRtt != TimeSpan.MaxValue && _latestRtt.TotalSeconds >= QueuedLossRttFactor * _minRtt.TotalSeconds;

    /// <summary>The round just ended lost more than BBRLossThresh of the bytes it carried (delivered plus lost).</summary>
    private bool IsRoundLossTooHigh()
    {
        if (!_lossInRound || _lostInRound == 0) return false;
        long deliveredInRound = _delivered - _deliveredAtLossRoundStart;
        return IsLossAboveThresh(_lostInRound, deliveredInRound + _lostInRound);
    }

    /// <summary>
    /// Whether <paramref name="lost"/> of <paramref name="carried"/> bytes is a loss rate above BBRLossThresh beyond
    /// chance. Departure from draft-ietf-ccwg-bbr, which compares the plain ratio (lost &gt; BBRLossThresh · carried): with
    /// n packets carried and random loss at rate p just under the threshold, the lost count is binomial with standard
    /// deviation √(n·p), so at 1 % random loss a 250-packet round exceeds 2 % about one round in twenty and a 520-packet
    /// (1 BDP at 100 Mbit/s, 50 ms) round one in seventy: each such round cut bw_lo/inflight_lo, or ended a probe. Here
    /// the count must also exceed the threshold by <see cref="LossThreshConfidence"/> standard deviations of a binomial
    /// at BBRLossThresh (√(n · BBRLossThresh) packets): at 1 % random loss that happens about once in 10⁴–10⁵ rounds.
    /// Congestive loss is unaffected in practice: a probe overflowing a drop-tail queue at 1.25× loses ~20 % of a
    /// round; small flights still react (1 of 4 packets, 2 of 10, 4 of 50, 9 of 200).
    /// </summary>
    private bool IsLossAboveThresh(long lost, long carried)
    {
        if (lost <= 0) return false;
        double n = (double)carried / _mds;
        double lostPackets = (double)lost / _mds;
        return lostPackets > LossThresh * n + LossThreshConfidence * Math.Sqrt(LossThresh * n);
    }

    private bool IsProbingBw() =>
        _state is CongestionState.Startup or CongestionState.ProbeBwRefill or CongestionState.ProbeBwUp;

    private void ResetLowerBounds()
    {
        _bwLo = double.PositiveInfinity;
        _inflightLo = Infinity;
    }

    private void ResetCongestionSignals()
    {
        _lossInRound = false;
        _ecnInRound = false;
        _lostInRound = 0;
        _lossEventsInRound = 0;
        _queuedLossInRound = false;
        _bwLatest = 0;
        _inflightLatest = 0;
    }

    private void BoundBwForModel() => _bw = Math.Min(_maxBw, _bwLo);

    private void UpdateAckAggregation(Instant now, long newlyAcked)
    {
        if (_roundStart)
        {
            _extraAckedRounds++;
            if (_extraAckedRounds >= ExtraAckedFilterLength / 2)
            {
                _extraAckedRounds = 0;
                _extraAckedSlots[0] = _extraAckedSlots[1];
                _extraAckedSlots[1] = 0;
            }
        }
        double interval = (now - _extraAckedIntervalStart).TotalSeconds;
        double expected = _bw * interval;
        if (_extraAckedDelivered <= expected)
        {
            _extraAckedDelivered = 0;
            _extraAckedIntervalStart = now;
            expected = 0;
        }
        _extraAckedDelivered += newlyAcked;
        long extra = (long)Math.Min(_extraAckedDelivered - expected, _cwnd);
        if (extra > _extraAckedSlots[1]) _extraAckedSlots[1] = extra;
        _extraAcked = Math.Max(_extraAckedSlots[0], _extraAckedSlots[1]);
    }

    private void ResetFullBw()
    {
        _fullBw = 0;
        _fullBwCount = 0;
        _fullBwNow = false;
    }

    private void CheckFullBwReached(in RateSample rs)
    {
        // During ProbeRTT the draft marks the connection application-limited: a window held at half a BDP shows a flat
        // delivery rate that says nothing about the path (it must not end Startup).
        if (_fullBwNow || rs.IsApplicationLimited || !rs.IsValid || _state == CongestionState.ProbeRtt) return;
        if (rs.DeliveryRate >= _fullBw * FullBwThreshold)
        {
            ResetFullBw();
            _fullBw = rs.DeliveryRate;
            return;
        }
        if (!_roundStart) return;
        _fullBwCount++;
        _fullBwNow = _fullBwCount >= FullBwCount;
        if (_fullBwNow) _filledPipe = true;
    }

    private void CheckStartupDone()
    {
        if (_state == CongestionState.Startup && _filledPipe) EnterDrain();
    }

    private void CheckDrainDone(long inflight)
    {
        if (_state == CongestionState.Drain && inflight <= BdpMultiple(_bw, 1.0)) StartProbeBwDown(_lastNow);
    }

    private Instant _lastNow;

    private void UpdateProbeBwCyclePhase(Instant now, in AckEvent ack, in RateSample rs)
    {
        _lastNow = now;
        if (!_filledPipe) return;
        AdaptUpperBounds(now, rs);
        if (!IsInAProbeBwState) return;
        switch (_state)
        {
            case CongestionState.ProbeBwDown:
                if (CheckTimeToProbeBw(now)) return;
                if (CheckTimeToCruise(ack.BytesInFlight)) StartProbeBwCruise();
                break;
            case CongestionState.ProbeBwCruise:
                CheckTimeToProbeBw(now);
                break;
            case CongestionState.ProbeBwRefill:
                if (_roundStart)
                {
                    _bwProbeSamples = 1;
                    StartProbeBwUp(now, rs);
                }
                break;
            case CongestionState.ProbeBwUp:
                if (IsTimeToGoDown(now, ack.BytesInFlight, rs)) StartProbeBwDown(now);
                break;
        }
    }

    private void AdaptUpperBounds(Instant now, in RateSample rs)
    {
        if (_ackPhase == AckPhase.ProbeStarting && _roundStart) _ackPhase = AckPhase.ProbeFeedback;
        if (_ackPhase == AckPhase.ProbeStopping && _roundStart)
        {
            // The samples of the last probe are in: forget the cycle before it (once per cycle).
            _bwProbeSamples = 0;
            _ackPhase = AckPhase.Init;
            if (IsInAProbeBwState && !rs.IsApplicationLimited) AdvanceMaxBwFilter();
        }
        if (!CheckInflightTooHigh(rs))
        {
            if (_inflightHi == Infinity) return;
            if (rs.TxInFlight > _inflightHi) _inflightHi = rs.TxInFlight;
            if (_state == CongestionState.ProbeBwUp) ProbeInflightHiUpward(rs);
        }
    }


    private bool CheckInflightTooHigh(in RateSample rs)
    {
        // Departure from draft-ietf-ccwg-bbr, which checks IsInflightTooHigh per lost packet (rs.lost against
        // rs.tx_in_flight): one round of random loss at rate p gives per-ACK samples scattered around p, so at p = 1 %
        // some exceed 2 % by chance and end nearly every ProbeBW_UP early (and cap inflight_hi). Here the check runs
        // once per loss round, on the round's loss rate (lost / (delivered + lost) over the whole round), which is a
        // sample of hundreds of packets on a filled pipe. A burst that loses more than BBRLossThresh of the flight in one
        // congestion event still reacts at once (OnCongestionEvent).
        if (_lossRoundStart && _roundLossTooHigh)
        {
            if (_bwProbeSamples > 0) HandleInflightTooHigh(rs.TxInFlight, rs.IsApplicationLimited);
            return true;
        }
        return false;
    }

    private void HandleInflightTooHigh(long txInFlight, bool appLimited)
    {
        _bwProbeSamples = 0;
        if (!appLimited) _inflightHi = Math.Max(txInFlight, (long)(TargetInflight() * BbrBeta));
        if (_state == CongestionState.ProbeBwUp) StartProbeBwDown(_lastNow);
    }

    private void ProbeInflightHiUpward(in RateSample rs)
    {
        if (!_isCwndLimited || _cwnd < _inflightHi) return;
        _bwProbeUpAcks += rs.Delivered > 0 ? rs.Delivered : 0;
        if (_bwProbeUpAcks >= _probeUpCount)
        {
            long delta = _bwProbeUpAcks / _probeUpCount;
            _bwProbeUpAcks -= delta * _probeUpCount;
            _inflightHi += delta * _mds;
        }
        if (_roundStart) RaiseInflightHiSlope();
    }

    private void RaiseInflightHiSlope()
    {
        long growthThisRound = (long)_mds << _bwProbeUpRounds;
        _bwProbeUpRounds = Math.Min(_bwProbeUpRounds + 1, 30);
        _probeUpCount = Math.Max(_cwnd / growthThisRound, 1);
    }

    private bool CheckTimeToProbeBw(Instant now)
    {
        if (now - _cycleStamp > _bwProbeWait || IsRenoCoexistenceProbeTime())
        {
            StartProbeBwRefill();
            return true;
        }
        return false;
    }

    private bool IsRenoCoexistenceProbeTime()
    {
        long renoRounds = TargetInflight() / _mds;
        long rounds = Math.Min(renoRounds, 63);
        return _roundsSinceBwProbe >= rounds;
    }

    private long TargetInflight() => Math.Min(BdpMultiple(_bw, 1.0), _cwnd);

    private bool CheckTimeToCruise(long inflight)
    {
        if (inflight > InflightWithHeadroom()) return false;
        return inflight <= BdpMultiple(_maxBw, 1.0);
    }

    private bool IsTimeToGoDown(Instant now, long inflight, in RateSample rs)
    {
        // The probe has run for a min RTT and put 1.25 BDP in flight: the extra queue it built has shown what it can
        // (draft-cardwell-iccrg-bbr-congestion-control-02 §4.3.3.7, kept so a probe queues at most about 0.25 BDP).
        if (now - _cycleStamp > _minRtt && inflight >= BdpMultiple(_maxBw, ProbeBwUpPacingGain)) return true;
        if (_isCwndLimited && _cwnd >= _inflightHi)
        {
            ResetFullBw();
            _fullBw = rs.DeliveryRate;
        }
        else if (_fullBwNow)
        {
            return true;
        }
        return false;
    }

    private long InflightWithHeadroom()
    {
        if (_inflightHi == Infinity) return Infinity;
        long headroom = Math.Max(_mds, (long)(Headroom * _inflightHi));
        return Math.Max(_inflightHi - headroom, MinimumWindow);
    }

    private void UpdateMinRtt(Instant now, in AckEvent ack, in RateSample rs)
    {
        TimeSpan rtt = rs.Rtt > TimeSpan.Zero ? rs.Rtt : ack.LatestRtt;
        // The filter expires ProbeRttInterval after its sample was taken; before the first sample there is nothing to
        // expire. (Comparing against a zero stamp instead made a real monotonic clock, which reads far from zero, expire
        // the filter at the first RTT sample and send a new connection straight into ProbeRTT.)
        _probeRttExpired = _probeRttMinDelay != TimeSpan.MaxValue && now > _probeRttMinStamp + ProbeRttInterval;
        if (rtt > TimeSpan.Zero && (rtt < _probeRttMinDelay || _probeRttExpired))
        {
            _probeRttMinDelay = rtt;
            _probeRttMinStamp = now;
        }
        bool minRttExpired = _minRtt != TimeSpan.MaxValue && now > _minRttStamp + MinRttFilterLength;
        if (_probeRttMinDelay < _minRtt || (minRttExpired && _probeRttMinDelay != TimeSpan.MaxValue))
        {
            _minRtt = _probeRttMinDelay;
            _minRttStamp = _probeRttMinStamp;
        }
    }

    private void CheckProbeRtt(Instant now, in AckEvent ack, in RateSample rs)
    {
        if (_state != CongestionState.ProbeRtt && _probeRttExpired && !_idleRestart && _minRtt != TimeSpan.MaxValue)
        {
            EnterProbeRtt();
            SaveCwnd();
            _probeRttDoneStamp = null;
            _ackPhase = AckPhase.ProbeStopping;
            StartRound();
        }
        if (_state == CongestionState.ProbeRtt) HandleProbeRtt(now, ack.BytesInFlight);
        if (rs.Delivered > 0) _idleRestart = false;
    }

    private void HandleProbeRtt(Instant now, long inflight)
    {
        if (_probeRttDoneStamp is null && inflight <= ProbeRttCwnd())
        {
            _probeRttDoneStamp = now + ProbeRttDuration;
            _probeRttRoundDone = false;
            StartRound();
        }
        else if (_probeRttDoneStamp is not null)
        {
            if (_roundStart) _probeRttRoundDone = true;
            if (_probeRttRoundDone) CheckProbeRttDone(now);
        }
    }

    private void CheckProbeRttDone(Instant now)
    {
        if (_probeRttDoneStamp is { } done && now > done)
        {
            _probeRttMinStamp = now; // the next ProbeRTT is ProbeRttInterval away
            RestoreCwnd();
            ExitProbeRtt(now);
        }
    }

    private void ExitProbeRtt(Instant now)
    {
        ResetLowerBounds();
        if (_filledPipe)
        {
            StartProbeBwDown(now);
            StartProbeBwCruise();
        }
        else
        {
            EnterStartup();
        }
    }

    private long ProbeRttCwnd() => Math.Max(BdpMultiple(_bw, ProbeRttCwndGain), MinimumWindow);

    // ---- states ----

    private void EnterStartup()
    {
        _state = CongestionState.Startup;
        _pacingGain = StartupPacingGain;
        _cwndGain = StartupCwndGain;
    }

    private void EnterDrain()
    {
        _state = CongestionState.Drain;
        _pacingGain = DrainPacingGain;
        _cwndGain = StartupCwndGain;
    }

    private void EnterProbeRtt()
    {
        _state = CongestionState.ProbeRtt;
        _pacingGain = 1.0;
        _cwndGain = ProbeRttCwndGain;
    }

    private void StartProbeBwDown(Instant now)
    {
        ResetCongestionSignals();
        _probeUpCount = Infinity;
        PickProbeWait();
        _cycleStamp = now;
        _ackPhase = AckPhase.ProbeStopping;
        StartRound();
        _state = CongestionState.ProbeBwDown;
        _pacingGain = ProbeBwDownPacingGain;
        _cwndGain = DefaultCwndGain;
    }

    private void StartProbeBwCruise()
    {
        _state = CongestionState.ProbeBwCruise;
        _pacingGain = 1.0;
        _cwndGain = DefaultCwndGain;
    }

    private void StartProbeBwRefill()
    {
        ResetLowerBounds();
        _bwProbeUpRounds = 0;
        _bwProbeUpAcks = 0;
        _ackPhase = AckPhase.Refilling;
        StartRound();
        _state = CongestionState.ProbeBwRefill;
        _pacingGain = 1.0;
        _cwndGain = DefaultCwndGain;
    }

    private void StartProbeBwUp(Instant now, in RateSample rs)
    {
        _ackPhase = AckPhase.ProbeStarting;
        StartRound();
        ResetFullBw();
        _fullBw = rs.DeliveryRate;
        _cycleStamp = now;
        _state = CongestionState.ProbeBwUp;
        _pacingGain = ProbeBwUpPacingGain;
        _cwndGain = ProbeBwUpCwndGain;
        RaiseInflightHiSlope();
    }

    private void PickProbeWait()
    {
        // Randomised so flows sharing a bottleneck do not probe in lockstep: 0 or 1 extra rounds, wait 2 to 3 s.
        _roundsSinceBwProbe = (long)(NextRandom() % 2);
        _bwProbeWait = TimeSpan.FromSeconds(2) + TimeSpan.FromTicks((long)(NextRandom() % (ulong)TimeSpan.TicksPerSecond));
    }

    private ulong NextRandom()
    {
        // xorshift64*
        _random ^= _random >> 12;
        _random ^= _random << 25;
        _random ^= _random >> 27;
        return _random * 0x2545F4914F6CDD1DUL;
    }

    // ---- control parameters ----

    private void UpdateControlParameters(in AckEvent ack)
    {
        SetPacingRateWithGain(_pacingGain);
        SetSendQuantum();
        SetCwnd(ack);
    }

    private void SetPacingRateWithGain(double gain)
    {
        double rate = gain * _bw * (100 - PacingMarginPercent) / 100;
        if (_filledPipe || rate > _pacingRate) _pacingRate = rate;
    }

    private void SetSendQuantum()
    {
        long quantum = (long)(_pacingRate * 0.001);
        _sendQuantum = Math.Max(Math.Min(quantum, 64 * 1024), 2L * _mds);
    }

    private long BdpMultiple(double bw, double gain)
    {
        if (_minRtt == TimeSpan.MaxValue) return InitialWindow;
        return (long)(gain * bw * _minRtt.TotalSeconds);
    }

    private long QuantizationBudget(long inflight)
    {
        inflight = Math.Max(inflight, 3 * _sendQuantum);
        if (_state == CongestionState.ProbeBwUp) inflight += 2L * _mds;
        return inflight;
    }

    private void SaveCwnd()
    {
        if (!_inRecovery && _state != CongestionState.ProbeRtt) _priorCwnd = _cwnd;
        else _priorCwnd = Math.Max(_priorCwnd, _cwnd);
    }

    private void RestoreCwnd()
    {
        // An application-limited ACK never grows the window (RFC 9002 §7.8): restore when the window is the limit again.
        if (_lastAckAppLimited) _restorePending = true;
        else _cwnd = Math.Max(_cwnd, _priorCwnd);
    }

    private void SetCwnd(in AckEvent ack)
    {
        long maxInflight = QuantizationBudget(BdpMultiple(_bw, _cwndGain) + _extraAcked);
        long newlyAcked = ack.BytesAcked;
        if (_restorePending && !ack.IsApplicationLimited)
        {
            _restorePending = false;
            _cwnd = Math.Max(_cwnd, _priorCwnd);
        }
        if (_packetConservation)
        {
            if (!ack.IsApplicationLimited) _cwnd = Math.Max(_cwnd, ack.BytesInFlight + newlyAcked);
        }
        else
        {
            if (_filledPipe)
            {
                _cwnd = ack.IsApplicationLimited ? Math.Min(_cwnd, maxInflight) : Math.Min(_cwnd + newlyAcked, maxInflight);
            }
            else if (!ack.IsApplicationLimited && (_cwnd < maxInflight || _delivered < InitialWindow))
            {
                _cwnd += newlyAcked;
            }
        }
        _cwnd = Math.Max(_cwnd, MinimumWindow);

        // BBRBoundCwndForProbeRTT
        if (_state == CongestionState.ProbeRtt) _cwnd = Math.Min(_cwnd, ProbeRttCwnd());

        // BBRBoundCwndForModel
        long cap = Infinity;
        if (IsInAProbeBwState && _state != CongestionState.ProbeBwCruise) cap = _inflightHi;
        else if (_state is CongestionState.ProbeRtt or CongestionState.ProbeBwCruise) cap = InflightWithHeadroom();
        cap = Math.Min(cap, _inflightLo);
        cap = Math.Max(cap, MinimumWindow);
        _cwnd = Math.Min(_cwnd, cap);
    }
}
