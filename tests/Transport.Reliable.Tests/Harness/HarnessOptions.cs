using Transport.Core.Simulation;
using Transport.Reliable.Congestion;

namespace Transport.Reliable.Tests.Harness;

/// <summary>One transfer through the harness: the controller, the workload, the network and the bounds.</summary>
internal sealed record HarnessOptions
{
    public CongestionControlAlgorithm Algorithm { get; init; } = CongestionControlAlgorithm.Cubic;

    /// <summary>Bytes the application sends, then FIN; null sends without end until <see cref="TimeLimit"/>.</summary>
    public long? TransferBytes { get; init; } = 256 * 1024;

    /// <summary>The largest datagram either side sends (data packets are filled up to it).</summary>
    public int MaxDatagramSize { get; init; } = 1200;

    /// <summary>The simulator's seed (and BBR's probe-wait seed).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Sender to receiver (the data direction).</summary>
    public LinkConditions Forward { get; init; } = new() { Delay = TimeSpan.FromMilliseconds(25) };

    /// <summary>Receiver to sender (the ACK direction).</summary>
    public LinkConditions Reverse { get; init; } = new() { Delay = TimeSpan.FromMilliseconds(25) };

    /// <summary>The virtual time after which the driver stops, finished or not.</summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The most driver steps (one step = one advance of virtual time) before it stops.</summary>
    public long MaxSteps { get; init; } = 20_000_000;

    /// <summary>The receiver's max_ack_delay (the sender's loss detector is told the same value).</summary>
    public TimeSpan MaxAckDelay { get; init; } = TimeSpan.FromMilliseconds(25);

    /// <summary>The receive window advertised first; auto-tuning grows it up to <see cref="MaxReceiveWindow"/>.</summary>
    public long InitialReceiveWindow { get; init; } = 256 * 1024;

    public long MaxReceiveWindow { get; init; } = 16 * 1024 * 1024;

    /// <summary>How fast the receiving application reads, bytes per second; 0 reads everything at once.</summary>
    public double ReadRateBytesPerSecond { get; init; }

    /// <summary>
    /// Every this many steps the driver checks that the loss detector's bytes in flight equal the sum of its outstanding
    /// in-flight packets and that the window is not below the controller's floor; 0 checks only at the end.
    /// </summary>
    public int InvariantCheckInterval { get; init; }

    /// <summary>Spacing of the recorded time series (virtual time); zero records none.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromMilliseconds(10);
}
