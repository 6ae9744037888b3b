using Transport.Core.Simulation;

namespace Transport.Reliable.Tests.Harness;

/// <summary>What one harness run did: how it ended, the counters, the derived figures and the time series.</summary>
internal sealed class HarnessResult
{
    public required HarnessOptions Options { get; init; }

    /// <summary>True when the receiver read every byte up to the FIN and the sender saw all of it acknowledged.</summary>
    public bool Completed { get; init; }

    /// <summary>True when nothing was left to happen (no datagram travelling, no timer) before completion: a deadlock.</summary>
    public bool Stalled { get; init; }

    public bool TimeLimitReached { get; init; }
    public bool StepLimitReached { get; init; }
    public long Steps { get; init; }

    /// <summary>Virtual time the run lasted (to completion, or to where it stopped).</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>The time goodput is measured over: to the FIN's delivery for a finite transfer, else <see cref="Duration"/>.</summary>
    public TimeSpan GoodputInterval { get; init; }

    public long DeliveredBytes { get; init; }
    public bool FinDelivered { get; init; }
    public long PatternErrors { get; init; }
    public long FirstPatternErrorOffset { get; init; }
    public string StreamError { get; init; } = "";

    public long PacketsSent { get; init; }
    public long DataPacketsSent { get; init; }
    public long BlockedPacketsSent { get; init; }
    public long ProbePacketsSent { get; init; }
    public long ProbeTimeouts { get; init; }
    public long PayloadBytesSent { get; init; }
    public long RetransmittedBytes { get; init; }
    public long LostPackets { get; init; }
    public long SpuriousLosses { get; init; }
    public long PersistentCongestionEvents { get; init; }
    public long AcksSent { get; init; }
    public long AcksReceived { get; init; }
    public long RejectedAcks { get; init; }
    public long MalformedPackets { get; init; }
    public long DuplicatePacketsReceived { get; init; }
    public long WindowUpdatesSent { get; init; }
    public long FinalReceiveWindow { get; init; }

    /// <summary>The loss detector's bytes in flight at the end.</summary>
    public long FinalBytesInFlight { get; init; }

    /// <summary>The sum of the sizes of the loss detector's outstanding in-flight packets at the end.</summary>
    public long FinalOutstandingInFlightSum { get; init; }

    /// <summary>Steps at which a periodic invariant check failed (see <see cref="HarnessOptions.InvariantCheckInterval"/>).</summary>
    public long InvariantViolations { get; init; }

    public long MinimumObservedWindow { get; init; }
    public long ControllerMinimumWindow { get; init; }
    public long CongestionEvents { get; init; }

    public double MeanQueueingDelayMs { get; init; }
    public double P95QueueingDelayMs { get; init; }

    public LinkStatistics ForwardLink { get; init; }
    public LinkStatistics ReverseLink { get; init; }

    public required IReadOnlyList<HarnessSample> Samples { get; init; }

    /// <summary>Bits per second the application received in order.</summary>
    public double GoodputBitsPerSecond =>
        GoodputInterval > TimeSpan.Zero ? DeliveredBytes * 8.0 / GoodputInterval.TotalSeconds : 0;

    /// <summary>Retransmitted stream bytes as a share of all stream bytes sent, in percent.</summary>
    public double RetransmissionPercent => PayloadBytesSent > 0 ? 100.0 * RetransmittedBytes / PayloadBytesSent : 0;

    public override string ToString() =>
        $"{Options.Algorithm} seed {Options.Seed}: completed={Completed} stalled={Stalled} timeLimit={TimeLimitReached} steps={Steps} " +
        $"duration={Duration.TotalSeconds:F3}s delivered={DeliveredBytes} fin={FinDelivered} patternErrors={PatternErrors} streamError={StreamError} " +
        $"sent={PacketsSent} data={DataPacketsSent} blocked={BlockedPacketsSent} probes={ProbePacketsSent} retx={RetransmittedBytes} " +
        $"lost={LostPackets} spurious={SpuriousLosses} acks={AcksSent}/{AcksReceived} rejected={RejectedAcks} malformed={MalformedPackets} " +
        $"violations={InvariantViolations} inflight={FinalBytesInFlight}/{FinalOutstandingInFlightSum} minCwnd={MinimumObservedWindow}/{ControllerMinimumWindow} " +
        $"goodput={GoodputBitsPerSecond / 1e6:F2}Mbit/s queue={MeanQueueingDelayMs:F2}/{P95QueueingDelayMs:F2}ms";
}
