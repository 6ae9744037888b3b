using Transport.Core.Simulation;
using Transport.Core.Time;
using Transport.Quic.Connection;
using Transport.Reliable;
using Transport.Reliable.Ack;
using Transport.Reliable.Congestion;
using Transport.Reliable.Recovery;
using Xunit.Abstractions;

namespace Transport.Quic.Tests.Connection;

/// <summary>DPLPMTUD (RFC 8899, RFC 9000 §14.2-14.4) over the simulator in virtual time.</summary>
public class PathMtuTests(ITestOutputHelper output)
{
    private static readonly TimeSpan OneWay = TimeSpan.FromMilliseconds(10); // RTT 20 ms

    private static LinkConditions Link(int mtu) => new() { Delay = OneWay, Mtu = mtu };

    private void Report(ConnectionPair pair)
    {
        output.WriteLine($"virtual {(pair.Now - Instant.FromMilliseconds(1_000)).TotalSeconds:F3} s");
        output.WriteLine($"client: {pair.Client.GetStatistics()}");
        output.WriteLine($"server: {pair.Server.GetStatistics()}");
    }

    /// <summary>Datagram sizes each side sent, in order.</summary>
    private static (List<int> Client, List<int> Server) RecordSizes(ConnectionPair pair)
    {
        var client = new List<int>();
        var server = new List<int>();
        pair.OnTransmit = (fromClient, _, n) => (fromClient ? client : server).Add(n);
        return (client, server);
    }

    /// <summary>
    /// Both sides send <paramref name="bytes"/> on one stream (above <see cref="QuicConnectionCore.PathMtuSearchStartBytes"/>
    /// by default): the search starts only for a connection that sends application data.
    /// </summary>
    private static void Exchange(ConnectionPair pair, long bytes = 64 << 10)
    {
        var app = new TransferApp(pair, bytes);
        app.OpenStreams(1);
        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0));
        Assert.Empty(app.Errors);
    }

    [Fact]
    public void On_a_9000_byte_link_the_search_converges_within_a_few_round_trips_and_bulk_data_uses_the_size_found()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(), Link(9000));
        var sizes = RecordSizes(pair);
        Assert.True(pair.CompleteHandshake());
        Assert.Equal(1200, pair.Client.GetStatistics().PathMtu); // nothing above BASE before confirmation
        Instant confirmed = pair.Now;
        var app = new TransferApp(pair, bytesPerStream: 16 << 20);
        app.OpenStreams(1);
        Assert.True(pair.RunUntil(() => pair.Client.IsPathMtuSearchComplete || app.Errors.Count > 0));
        TimeSpan took = pair.Now - confirmed;
        int found = pair.Client.GetStatistics().PathMtu;
        output.WriteLine($"converged to {found} in {took.TotalMilliseconds:F0} ms");
        Assert.InRange(found, 8952, 9000); // the largest candidate the 9000-byte link carries (9000 - 28: IPv4 jumbo)
        Assert.True(took <= 30 * 2 * OneWay, $"took {took.TotalMilliseconds} ms, more than 30 RTTs");
        int sentBeforeDone = sizes.Client.Count;

        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0));
        Report(pair);
        Assert.Empty(app.Errors);
        var c = pair.Client.GetStatistics();
        Assert.Equal(found, c.PathMtu);
        Assert.Equal(0, c.CongestionEvents); // only probes were lost
        Assert.Equal(c.PathMtuProbesLost, c.PacketsLost);
        Assert.Equal(PathMtuTestsHelpers.MaxProbes, c.PathMtuProbesLost); // three at 16384, then done
        // The transfer after convergence went in datagrams of the size found.
        var after = sizes.Client.Skip(sentBeforeDone).ToList();
        Assert.True(after.Max() == found, $"largest after convergence {after.Max()}");
        // The search ran during the transfer (it starts with the data): what went after it is nearly all full-size.
        int large = after.Count(n => n > 1500), full = after.Count(n => n == found);
        output.WriteLine($"after convergence: {after.Count} datagrams, {large} above 1500 bytes, {full} of {found}");
        Assert.True(full > 200 && full >= large * 9 / 10, $"{full} full-size datagrams of {large} above 1500 bytes");
        // 16 MiB out (and the ACKs for 16 MiB in, mostly riding on data): over 14,000 packets at 1200 bytes.
        Assert.True(c.PacketsSent < 3000, $"{c.PacketsSent} packets to send 16 MiB and acknowledge 16 MiB");
    }

    [Fact]
    public void On_a_1500_byte_link_lost_probes_are_no_congestion_signal_and_the_size_stays_at_1472()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(), Link(1500));
        var sizes = RecordSizes(pair);
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, bytesPerStream: 2 << 20);
        app.OpenStreams(1);
        long lowestWindowAfterLoss = long.MaxValue;
        long windowBeforeLoss = 0;
        bool done = pair.RunUntil(() =>
        {
            var s = pair.Client.GetStatistics();
            if (s.PathMtuProbesLost == 0) windowBeforeLoss = s.CongestionWindow;
            else lowestWindowAfterLoss = Math.Min(lowestWindowAfterLoss, s.CongestionWindow);
            return app.IsComplete || app.Errors.Count > 0;
        });
        Report(pair);
        Assert.True(done);
        Assert.Empty(app.Errors);
        var c = pair.Client.GetStatistics();
        Assert.Equal(1472, c.PathMtu);
        Assert.True(pair.Client.IsPathMtuSearchComplete);
        Assert.Equal(PathMtuTestsHelpers.MaxProbes, c.PathMtuProbesLost); // 4096 three times, then the climb ends
        Assert.Equal(2, c.PathMtuProbesAcknowledged); // 1452 and 1472
        Assert.Equal(0, c.CongestionEvents);
        Assert.Equal(0, c.PathMtuBlackHolesDetected);
        Assert.True(lowestWindowAfterLoss >= windowBeforeLoss, $"window {windowBeforeLoss} fell to {lowestWindowAfterLoss} after a probe loss");
        Assert.True(sizes.Client.Max() <= 4096);
        Assert.Equal(c.PathMtuProbesLost, sizes.Client.Count(n => n > 1472)); // only probes went above 1472
    }

    [Fact]
    public void An_idle_connection_sends_no_probe_and_a_few_small_messages_start_no_search()
    {
        // A connection with no application data to send gains nothing from a larger datagram: the search waits for data
        // (1,000 idle connections probing up to 64 KiB on loopback cost the tour's scale section CPU and memory).
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(), new LinkConditions { Delay = OneWay });
        var sizes = RecordSizes(pair);
        Assert.True(pair.CompleteHandshake());
        pair.RunFor(TimeSpan.FromSeconds(5));
        Exchange(pair, 1024); // one small request and its answer
        pair.RunFor(TimeSpan.FromSeconds(5));
        Report(pair);
        foreach (var conn in new[] { pair.Client, pair.Server })
        {
            var s = conn.GetStatistics();
            Assert.False(conn.IsClosed);
            Assert.False(conn.IsPathMtuSearchStarted);
            Assert.Equal(0, s.PathMtuProbesSent);
            Assert.Equal(1200, s.PathMtu);
        }
        Assert.True(sizes.Client.Max() <= 1200 && sizes.Server.Max() <= 1200, $"largest datagrams {sizes.Client.Max()} / {sizes.Server.Max()}");
    }

    [Fact]
    public void A_bulk_sender_starts_the_search_with_its_data_and_reaches_the_ceiling_within_a_few_round_trips()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(), new LinkConditions { Delay = OneWay });
        Assert.True(pair.CompleteHandshake());
        pair.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(0, pair.Client.GetStatistics().PathMtuProbesSent);
        Instant start = pair.Now;
        var app = new TransferApp(pair, bytesPerStream: 16 << 20);
        app.OpenStreams(1);
        Assert.True(pair.RunUntil(() => pair.Client.IsPathMtuSearchComplete || app.Errors.Count > 0));
        TimeSpan took = pair.Now - start;
        output.WriteLine($"reached {pair.Client.GetStatistics().PathMtu} in {took.TotalMilliseconds:F0} ms");
        Assert.Equal(65527, pair.Client.GetStatistics().PathMtu);
        // Eleven sizes from 1452 to the 65527 ceiling, none lost, one probe at a time: each waits for room in a window
        // the transfer keeps full and for its ACK (about 17 round trips measured when written).
        Assert.True(took <= 20 * 2 * OneWay, $"took {took.TotalMilliseconds} ms, more than 20 RTTs");
        Assert.Equal(0, pair.Client.GetStatistics().PathMtuProbesLost);
        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0));
        Assert.Empty(app.Errors);
        Assert.Equal(0, pair.Client.GetStatistics().CongestionEvents);
    }

    [Fact]
    public void A_connection_that_sends_data_settles_its_path_mtu_without_congestion_events_or_closing()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(), Link(1500));
        Assert.True(pair.CompleteHandshake());
        Exchange(pair);
        pair.RunFor(TimeSpan.FromSeconds(5));
        Report(pair);
        foreach (var conn in new[] { pair.Client, pair.Server })
        {
            var s = conn.GetStatistics();
            Assert.False(conn.IsClosed);
            Assert.True(conn.IsPathMtuSearchComplete);
            Assert.Equal(1472, s.PathMtu);
            Assert.Equal(0, s.CongestionEvents);
            Assert.Equal(0, s.PathMtuBlackHolesDetected);
        }
    }

    [Fact]
    public void With_discovery_off_no_probe_is_sent_and_no_datagram_exceeds_the_configured_size()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(o => o.EnablePathMtuDiscovery = false),
            ConnectionPair.ServerOptions(o => o.EnablePathMtuDiscovery = false), new LinkConditions { Delay = OneWay });
        var sizes = RecordSizes(pair);
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, bytesPerStream: 1 << 20);
        app.OpenStreams(1);
        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0));
        Assert.Empty(app.Errors);
        foreach (var s in new[] { pair.Client.GetStatistics(), pair.Server.GetStatistics() })
        {
            Assert.Equal(0, s.PathMtuProbesSent);
            Assert.Equal(1200, s.PathMtu);
        }
        Assert.Equal(1200, sizes.Client.Max());
        Assert.Equal(1200, sizes.Server.Max());
    }

    [Fact]
    public void A_perfect_link_reaches_the_default_ceiling_and_initial_datagrams_stay_at_1200()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(), new LinkConditions { Delay = OneWay });
        var sizes = RecordSizes(pair);
        Assert.True(pair.CompleteHandshake());
        Assert.Equal(1200, sizes.Client[0]); // the client's Initial, padded to 1200, not to a discovered size
        Assert.True(sizes.Client.Take(2).All(n => n <= 1200));
        Exchange(pair);
        Assert.True(pair.RunUntil(() => pair.Client.IsPathMtuSearchComplete && pair.Server.IsPathMtuSearchComplete, 100_000));
        Assert.Equal(65527, pair.Client.GetStatistics().PathMtu);
        Assert.Equal(65527, pair.Server.GetStatistics().PathMtu);
        Assert.Equal(0, pair.Client.GetStatistics().PathMtuProbesLost);
        // The DATAGRAM frame limit grows with it.
        Assert.True(pair.Client.MaxDatagramPayloadSize > 60_000, $"{pair.Client.MaxDatagramPayloadSize}");
    }

    [Fact]
    public void The_peers_max_udp_payload_size_caps_the_probes()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(o => o.AdvertisedMaxUdpPayloadSize = 5000),
            new LinkConditions { Delay = OneWay });
        var sizes = RecordSizes(pair);
        Assert.True(pair.CompleteHandshake());
        Exchange(pair);
        Assert.True(pair.RunUntil(() => pair.Client.IsPathMtuSearchComplete, 100_000));
        pair.RunFor(TimeSpan.FromSeconds(1));
        Report(pair);
        Assert.Equal(5000, pair.Client.GetStatistics().PathMtu); // 1452, 1472, 4096, then the ceiling itself
        Assert.Equal(5000, sizes.Client.Max());
        Assert.Equal(4, pair.Client.GetStatistics().PathMtuProbesSent);
        Assert.Equal(65527, pair.Server.GetStatistics().PathMtu); // the client advertised the default
    }

    [Fact]
    public void The_local_route_limit_and_the_option_cap_the_probes()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(o => o.MaxPathMtuDiscoverySize = 8192),
            new LinkConditions { Delay = OneWay });
        pair.Client.SetLocalMaxUdpPayload(4000);
        Assert.True(pair.CompleteHandshake());
        Exchange(pair);
        Assert.True(pair.RunUntil(() => pair.Client.IsPathMtuSearchComplete && pair.Server.IsPathMtuSearchComplete, 100_000));
        Assert.Equal(4000, pair.Client.GetStatistics().PathMtu);
        Assert.Equal(8192, pair.Server.GetStatistics().PathMtu);

        // A larger route limit later lets the completed search climb again; a smaller one drops the size at once.
        pair.Client.SetLocalMaxUdpPayload(9000);
        Assert.True(pair.RunUntil(() => pair.Client.IsPathMtuSearchComplete, 100_000));
        Assert.Equal(9000, pair.Client.GetStatistics().PathMtu);
        pair.Client.SetLocalMaxUdpPayload(1300);
        Assert.Equal(1300, pair.Client.GetStatistics().PathMtu);
        Assert.Throws<ArgumentOutOfRangeException>(() => pair.Client.SetLocalMaxUdpPayload(1000));
    }

    [Fact]
    public void When_the_link_mtu_drops_mid_transfer_the_black_hole_is_detected_and_the_transfer_completes()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(), Link(9000));
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, bytesPerStream: 8 << 20);
        app.OpenStreams(1);
        Assert.True(pair.RunUntil(() => pair.Client.GetStatistics().PathMtu >= 8952 || app.Errors.Count > 0));
        Assert.True(pair.RunUntil(() => pair.Client.GetStatistics().StreamBytesSent > (1 << 20)));
        // The route changes under the connection: 1500-byte MTU both ways (LinkConditions can be replaced mid-run).
        pair.Simulator.SetLink(ConnectionPair.ClientAddress, ConnectionPair.ServerAddress, Link(1500));
        pair.Simulator.SetLink(ConnectionPair.ServerAddress, ConnectionPair.ClientAddress, Link(1500));
        Instant changed = pair.Now;
        Assert.True(pair.RunUntil(() => pair.Client.GetStatistics().PathMtuBlackHolesDetected > 0 || app.Errors.Count > 0));
        output.WriteLine($"black hole detected after {(pair.Now - changed).TotalMilliseconds:F0} ms");
        Assert.True(pair.Now - changed < TimeSpan.FromSeconds(2));
        bool done = pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0);
        Report(pair);
        Assert.Empty(app.Errors);
        Assert.True(done);
        var c = pair.Client.GetStatistics();
        Assert.Equal(1472, c.PathMtu); // searched again below the size that stopped passing
        Assert.True(pair.Client.IsPathMtuSearchComplete);
    }

    [Fact]
    public void An_outage_while_only_small_packets_are_in_flight_is_not_taken_for_a_black_hole()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(), new LinkConditions { Delay = OneWay });
        Assert.True(pair.CompleteHandshake());
        Exchange(pair);
        Assert.True(pair.RunUntil(() => pair.Client.IsPathMtuSearchComplete, 100_000));
        var outage = new LinkConditions { Delay = OneWay, Blackholes = [new BlackholeWindow(pair.Now, pair.Now + TimeSpan.FromSeconds(2))] };
        pair.Simulator.SetLink(ConnectionPair.ClientAddress, ConnectionPair.ServerAddress, outage);
        pair.Simulator.SetLink(ConnectionPair.ServerAddress, ConnectionPair.ClientAddress, outage);
        Assert.True(pair.Client.TryOpenStream(bidirectional: true, out long id));
        pair.Client.WriteStream(id, new byte[100], fin: true);
        pair.RunFor(TimeSpan.FromSeconds(5));
        Report(pair);
        var c = pair.Client.GetStatistics();
        Assert.True(c.ProbeTimeouts >= 2, $"{c.ProbeTimeouts} PTOs");
        Assert.Equal(0, c.PathMtuBlackHolesDetected);
        Assert.Equal(65527, c.PathMtu);
        Assert.Contains(pair.ClientEvents, e => e.Kind == ConnectionEventKind.StreamSendCompleted && e.StreamId == id); // delivered after the outage
    }

    [Fact]
    public void A_new_path_starts_again_from_base()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(), new LinkConditions { Delay = OneWay });
        Assert.True(pair.CompleteHandshake());
        Exchange(pair);
        Assert.True(pair.RunUntil(() => pair.Client.IsPathMtuSearchComplete, 100_000));
        Assert.Equal(65527, pair.Client.GetStatistics().PathMtu);
        var local = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.0.0.9"), 50001);
        pair.ClientAliases.Add(local);
        pair.Simulator.SetLink(local, ConnectionPair.ServerAddress, Link(1500));
        pair.Simulator.SetLink(ConnectionPair.ServerAddress, local, Link(1500));
        Assert.True(pair.Client.TryMigrate(local));
        Assert.True(pair.RunUntil(() => pair.ClientEvents.Any(e => e.Kind == ConnectionEventKind.PathMigrated)));
        Assert.True(pair.Client.GetStatistics().PathMtu <= 1472);
        Assert.True(pair.RunUntil(() => pair.Client.IsPathMtuSearchComplete, 100_000));
        pair.RunFor(TimeSpan.FromSeconds(1));
        Report(pair);
        Assert.Equal(1472, pair.Client.GetStatistics().PathMtu);
        Assert.False(pair.Client.IsClosed);
    }

    [Theory]
    [InlineData(1199)]
    [InlineData(65528)]
    public void MaxPathMtuDiscoverySize_out_of_range_is_refused_with_its_name(int size)
    {
        var e = Assert.Throws<ArgumentException>(() => QuicConnectionCore.CreateClient(
            ConnectionPair.ClientOptions(o => o.MaxPathMtuDiscoverySize = size), ConnectionPair.ServerAddress, Instant.Zero));
        Assert.Equal(nameof(ConnectionOptions.MaxPathMtuDiscoverySize), e.ParamName);
        Assert.Contains("65527", e.Message);
    }

    [Fact]
    public void MaxPathMtuDiscoverySize_below_MaxDatagramSize_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => QuicConnectionCore.CreateClient(
            ConnectionPair.ClientOptions(o => { o.MaxDatagramSize = 1452; o.MaxPathMtuDiscoverySize = 1400; }), ConnectionPair.ServerAddress, Instant.Zero));
        Assert.Equal(nameof(ConnectionOptions.MaxPathMtuDiscoverySize), e.ParamName);
        Assert.Contains("MaxDatagramSize (1452)", e.Message);
        var defaults = new ConnectionOptions();
        Assert.True(defaults.EnablePathMtuDiscovery);
        Assert.Equal(65527, defaults.MaxPathMtuDiscoverySize);
        Assert.Equal(1200, defaults.MaxDatagramSize);
    }

    [Fact]
    public void A_lost_probe_leaves_the_window_and_persistent_congestion_alone_in_the_loss_detector()
    {
        var cc = CongestionControllerFactory.For(CongestionControlAlgorithm.NewReno).Create(1200);
        var detector = new LossDetector(cc, isServer: false, TimeSpan.FromMilliseconds(20));
        detector.OnHandshakeConfirmed(Instant.Zero);
        var t = Instant.FromMilliseconds(100);
        detector.OnPacketSent(PacketNumberSpace.ApplicationData, 0, t, 1200, true, true);
        detector.OnAckReceived(PacketNumberSpace.ApplicationData, [new AckRange(0, 0)], TimeSpan.Zero, t + TimeSpan.FromMilliseconds(20));
        long window = cc.CongestionWindow;
        t += TimeSpan.FromMilliseconds(30);
        detector.OnPacketSent(PacketNumberSpace.ApplicationData, 1, t, 9000, true, true, isPathMtuProbe: true);
        for (int pn = 2; pn <= 5; pn++) detector.OnPacketSent(PacketNumberSpace.ApplicationData, pn, t, 1200, true, true);
        Assert.Equal(9000 + 4 * 1200, detector.BytesInFlight);
        var outcome = detector.OnAckReceived(PacketNumberSpace.ApplicationData, [new AckRange(2, 5)], TimeSpan.Zero, t + TimeSpan.FromSeconds(5));
        Assert.Equal(1, outcome.Lost.Length);
        Assert.True(outcome.Lost[0].IsPathMtuProbe);
        Assert.False(outcome.IsPersistentCongestion);
        Assert.Equal(0, detector.BytesInFlight);
        Assert.True(cc.CongestionWindow >= window, $"window {window} -> {cc.CongestionWindow}");
        Assert.NotEqual(CongestionState.Recovery, cc.State);
        Assert.Throws<ArgumentException>(() => detector.OnPacketSent(PacketNumberSpace.ApplicationData, 6, t, 9000, false, true, isPathMtuProbe: true));
    }
}

internal static class PathMtuTestsHelpers
{
    public const int MaxProbes = QuicConnectionCore.PathMtuMaxProbes;
}
