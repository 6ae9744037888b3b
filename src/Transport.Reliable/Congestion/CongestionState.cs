namespace Transport.Reliable.Congestion;

/// <summary>The states of the built-in controllers, for statistics and qlog's congestion_state_updated.</summary>
public enum CongestionState
{
    /// <summary>Exponential growth (NewReno, CUBIC).</summary>
    SlowStart,
    /// <summary>HyStart++'s conservative slow start (RFC 9406 §4.2).</summary>
    ConservativeSlowStart,
    /// <summary>Linear or cubic growth (NewReno, CUBIC).</summary>
    CongestionAvoidance,
    /// <summary>The recovery period after a congestion event (RFC 9002 §7.3.2).</summary>
    Recovery,
    /// <summary>BBR: searching for the bottleneck bandwidth.</summary>
    Startup,
    /// <summary>BBR: draining the queue built in Startup.</summary>
    Drain,
    /// <summary>BBR ProbeBW_DOWN: draining after probing.</summary>
    ProbeBwDown,
    /// <summary>BBR ProbeBW_CRUISE: cruising at the estimated bandwidth.</summary>
    ProbeBwCruise,
    /// <summary>BBR ProbeBW_REFILL: refilling the pipe before probing.</summary>
    ProbeBwRefill,
    /// <summary>BBR ProbeBW_UP: probing for more bandwidth.</summary>
    ProbeBwUp,
    /// <summary>BBR ProbeRTT: draining the pipe to measure the minimum RTT.</summary>
    ProbeRtt,
}
