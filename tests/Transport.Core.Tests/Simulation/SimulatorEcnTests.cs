using System.Net;
using Transport.Core.Simulation;
using Transport.Core.Time;

namespace Transport.Core.Tests.Simulation;

/// <summary>The simulator carries the IP header's ECN codepoint, bleaches it or marks it CE as the link says.</summary>
public class SimulatorEcnTests
{
    private static readonly IPEndPoint A = new(IPAddress.Parse("10.0.0.1"), 1), B = new(IPAddress.Parse("10.0.0.2"), 2);

    private static List<byte> SendAll(LinkConditions c, byte ecn, int count)
    {
        var sim = new NetworkSimulator(3);
        sim.SetLink(A, B, c);
        for (int i = 0; i < count; i++) sim.Send(Instant.Zero, A, B, new byte[100], ecn);
        var got = new List<byte>();
        while (sim.NextDeliveryTime is { } t)
            while (sim.TryReceive(t, out var d)) got.Add(d.Ecn);
        return got;
    }

    [Fact]
    public void Ecn_codepoint_is_carried_unchanged_by_default()
    {
        Assert.All(SendAll(new LinkConditions(), 2, 5), e => Assert.Equal(2, e));
        Assert.All(SendAll(new LinkConditions(), 0, 5), e => Assert.Equal(0, e));
    }

    [Fact]
    public void Ecn_bleaching_link_clears_it()
    {
        var got = SendAll(new LinkConditions { EcnBleach = true }, 2, 5);
        Assert.Equal(5, got.Count);
        Assert.All(got, e => Assert.Equal(0, e));
    }

    [Fact]
    public void Ecn_CE_marking_applies_to_ECN_capable_datagrams_only()
    {
        Assert.All(SendAll(new LinkConditions { CeMarkRate = 1 }, 2, 5), e => Assert.Equal(3, e));
        Assert.All(SendAll(new LinkConditions { CeMarkRate = 1 }, 0, 5), e => Assert.Equal(0, e));
    }

    [Fact]
    public void Ecn_queue_threshold_marks_datagrams_that_find_a_standing_queue()
    {
        var c = new LinkConditions { BandwidthBitsPerSecond = 1_000_000, CeMarkQueueThresholdPackets = 3 };
        var got = SendAll(c, 2, 6);
        Assert.Equal(new byte[] { 2, 2, 2, 3, 3, 3 }, got);
        Assert.Throws<ArgumentException>(() => new NetworkSimulator(1).SetLink(A, B, new LinkConditions { CeMarkQueueThresholdPackets = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NetworkSimulator(1).Send(Instant.Zero, A, B, new byte[1], 4));
    }
}
