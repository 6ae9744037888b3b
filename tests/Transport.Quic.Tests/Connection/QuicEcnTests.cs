using Transport.Core.Simulation;
using Transport.Quic.Connection;
using Transport.Reliable;

namespace Transport.Quic.Tests.Connection;

/// <summary>ECN over whole connections (RFC 9000 §13.4, RFC 9002 §7.1), the codepoints carried by the simulator.</summary>
public class QuicEcnTests
{
    private const byte Ect0 = 2;

    private sealed class Marks
    {
        public int ClientMarked, ClientUnmarked, ServerMarked, ServerUnmarked;
        public long ClientMaxCwnd;
        public byte LastClientEcn, LastServerEcn;
    }

    private static Marks Watch(ConnectionPair pair)
    {
        var m = new Marks();
        pair.OnTransmit = (fromClient, info, _) =>
        {
            if (fromClient)
            {
                if (info.Ecn == Ect0) m.ClientMarked++; else m.ClientUnmarked++;
                m.LastClientEcn = info.Ecn;
                m.ClientMaxCwnd = Math.Max(m.ClientMaxCwnd, pair.Client.GetStatistics().CongestionWindow);
            }
            else
            {
                if (info.Ecn == Ect0) m.ServerMarked++; else m.ServerUnmarked++;
                m.LastServerEcn = info.Ecn;
            }
        };
        return m;
    }

    private static void Transfer(ConnectionPair pair, long bytes, int streams = 1)
    {
        var app = new TransferApp(pair, bytesPerStream: bytes);
        app.OpenStreams(streams);
        bool done = pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0);
        Assert.Empty(app.Errors);
        Assert.True(done, "transfer did not complete");
    }

    [Fact]
    public void Ecn_counts_are_echoed_in_ACK_ECN_and_both_paths_validate()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        var marks = Watch(pair);
        Assert.True(pair.CompleteHandshake());
        Transfer(pair, 100_000);

        Assert.Equal(EcnValidationState.Capable, pair.Client.EcnState);
        Assert.Equal(EcnValidationState.Capable, pair.Server.EcnState);
        foreach (var space in new[] { PacketNumberSpace.Initial, PacketNumberSpace.ApplicationData })
        {
            // What each side received marked, the other side heard back in ACK_ECN (never more than was received).
            var serverReceived = pair.Server.GetReceivedEcnCounts(space);
            var clientHeard = pair.Client.GetPeerReportedEcnCounts(space);
            Assert.True(serverReceived.Ect0 > 0, $"server received no ECT(0) in {space}");
            Assert.True(clientHeard.Ect0 > 0, $"client heard no ECT(0) count in {space}");
            Assert.True(clientHeard.Ect0 <= serverReceived.Ect0);
            Assert.Equal(0UL, serverReceived.Ce);
            Assert.Equal(0UL, serverReceived.Ect1);
            Assert.True(pair.Server.GetPeerReportedEcnCounts(space).Ect0 > 0, $"server heard no ECT(0) count in {space}");
        }
        Assert.True(marks.ClientMarked > 10 && marks.ServerMarked > 10, "validated paths keep marking");
        Assert.Equal(Ect0, marks.LastClientEcn);
        Assert.Equal(0, pair.Client.EcnCongestionEvents);
    }

    [Fact]
    public void Ecn_validation_fails_when_the_path_bleaches_the_codepoint()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(10), EcnBleach = true });
        var marks = Watch(pair);
        Assert.True(pair.CompleteHandshake());
        Transfer(pair, 100_000);

        Assert.Equal(EcnValidationState.Failed, pair.Client.EcnState);
        Assert.Equal(EcnValidationState.Failed, pair.Server.EcnState);
        Assert.Equal(default, pair.Server.GetReceivedEcnCounts(PacketNumberSpace.ApplicationData));
        // Only the testing packets were marked; after the failure nothing is.
        Assert.InRange(marks.ClientMarked, 1, 10);
        Assert.InRange(marks.ServerMarked, 1, 10);
        Assert.Equal(0, marks.LastClientEcn);
        Assert.Equal(0, marks.LastServerEcn);
    }

    [Fact]
    public void Ecn_validation_is_per_direction_when_only_one_direction_bleaches()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(10), EcnBleach = true },
            serverToClient: new LinkConditions { Delay = TimeSpan.FromMilliseconds(10) });
        Assert.True(pair.CompleteHandshake());
        Transfer(pair, 50_000);
        Assert.Equal(EcnValidationState.Failed, pair.Client.EcnState);  // its marks never reach the server
        Assert.Equal(EcnValidationState.Capable, pair.Server.EcnState); // the client echoes what it received
    }

    [Fact]
    public void Ecn_CE_marks_reduce_the_congestion_window_without_loss()
    {
        var link = new LinkConditions
        {
            Delay = TimeSpan.FromMilliseconds(10), BandwidthBitsPerSecond = 20_000_000, QueueCapacityPackets = 100_000, Mtu = 1500, // an Ethernet path: with PMTU discovery a 64 KiB datagram would hold the whole queue threshold
        };
        long unmarkedMaxCwnd;
        using (var plain = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(), link))
        {
            var marks = Watch(plain);
            Assert.True(plain.CompleteHandshake());
            Transfer(plain, 2_000_000);
            var plainStats = plain.Client.GetStatistics();
            Assert.Equal(0, plainStats.PacketsLost - plainStats.PathMtuProbesLost); // probes above the 1500-byte MTU are lost by design
            Assert.Equal(0, plain.Client.EcnCongestionEvents);
            unmarkedMaxCwnd = marks.ClientMaxCwnd;
        }

        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(),
            link with { CeMarkQueueThresholdPackets = 20 });
        var ceMarks = Watch(pair);
        Assert.True(pair.CompleteHandshake());
        Transfer(pair, 2_000_000);
        var stats = pair.Client.GetStatistics();
        Assert.Equal(0, stats.PacketsLost - stats.PathMtuProbesLost);
        Assert.True(pair.Client.EcnCongestionEvents > 0, "no ECN-CE congestion event reached the client");
        Assert.True(pair.Server.GetReceivedEcnCounts(PacketNumberSpace.ApplicationData).Ce > 0);
        Assert.Equal(EcnValidationState.Capable, pair.Client.EcnState); // CE counts as ECN-capable (RFC 9000 §13.4.2.1)
        Assert.True(ceMarks.ClientMaxCwnd < unmarkedMaxCwnd,
            $"the window with CE marks ({ceMarks.ClientMaxCwnd}) should stay below the unmarked one ({unmarkedMaxCwnd})");
    }

    [Fact]
    public void Ecn_disabled_marks_nothing_and_sends_plain_ACKs()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(o => o.EnableEcn = false), ConnectionPair.ServerOptions(o => o.EnableEcn = false));
        var marks = Watch(pair);
        Assert.True(pair.CompleteHandshake());
        Transfer(pair, 20_000);
        Assert.Equal(0, marks.ClientMarked + marks.ServerMarked);
        Assert.Equal(EcnValidationState.Failed, pair.Client.EcnState);
        Assert.Equal(default, pair.Client.GetPeerReportedEcnCounts(PacketNumberSpace.ApplicationData));
    }

    [Fact]
    public void Ecn_codepoints_of_received_datagrams_are_counted_per_space_even_when_not_sending_marks()
    {
        // A receiver with ECN on echoes counts even to a peer that never validates (RFC 9000 §13.4.1).
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(10), CeMarkRate = 1.0 });
        Assert.True(pair.CompleteHandshake());
        Transfer(pair, 20_000);
        var ce = pair.Server.GetReceivedEcnCounts(PacketNumberSpace.Initial);
        Assert.True(ce.Ce > 0 && ce.Ect0 == 0, $"every marked packet arrives CE: {ce}");
        Assert.Equal(0, pair.Client.GetStatistics().PacketsLost);
        Assert.True(pair.Client.EcnCongestionEvents > 0);
    }
}
