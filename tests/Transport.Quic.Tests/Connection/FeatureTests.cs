using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Simulation;
using Transport.Quic.Connection;
using Transport.Reliable.Congestion;

namespace Transport.Quic.Tests.Connection;

public class FeatureTests
{
    [Fact]
    public void Datagrams_are_delivered_as_events()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        Assert.True(pair.CompleteHandshake());
        Assert.True(pair.Client.MaxDatagramPayloadSize > 1000);
        for (int i = 0; i < 5; i++) pair.Client.SendDatagram(new byte[] { (byte)i, 1, 2, 3, (byte)(i * 7) });
        pair.Server.SendDatagram("pong"u8);
        Assert.True(pair.RunUntil(() => pair.ServerEvents.Count(e => e.Kind == ConnectionEventKind.DatagramReceived) == 5
            && pair.ClientEvents.Any(e => e.Kind == ConnectionEventKind.DatagramReceived), 10_000));
        var got = pair.ServerEvents.Where(e => e.Kind == ConnectionEventKind.DatagramReceived).Select(e => e.Data!).ToList();
        for (int i = 0; i < 5; i++) Assert.Equal(new byte[] { (byte)i, 1, 2, 3, (byte)(i * 7) }, got[i]);
        Assert.Equal("pong"u8.ToArray(), pair.ClientEvents.First(e => e.Kind == ConnectionEventKind.DatagramReceived).Data);
        Assert.Throws<ArgumentException>(() => pair.Client.SendDatagram(new byte[pair.Client.MaxDatagramPayloadSize + 1]));
    }

    [Fact]
    public void Full_datagram_queue_drops_the_oldest()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(o => o.DatagramSendQueueCapacity = 4), ConnectionPair.ServerOptions());
        Assert.True(pair.CompleteHandshake());
        for (int i = 0; i < 10; i++) pair.Client.SendDatagram(new byte[] { (byte)i });
        pair.RunFor(TimeSpan.FromMilliseconds(200), 10_000);
        var got = pair.ServerEvents.Where(e => e.Kind == ConnectionEventKind.DatagramReceived).Select(e => e.Data![0]).ToArray();
        Assert.Equal(new byte[] { 6, 7, 8, 9 }, got);
        Assert.Equal(6, pair.Client.GetStatistics().DatagramsDropped);
    }

    [Fact]
    public void Datagrams_need_the_peers_parameter()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(o => o.MaxDatagramFrameSize = null));
        Assert.True(pair.CompleteHandshake());
        Assert.Equal(0, pair.Client.MaxDatagramPayloadSize);
        Assert.Throws<InvalidOperationException>(() => pair.Client.SendDatagram([1]));
    }

    [Fact]
    public void Key_updates_during_a_transfer_keep_the_data_intact()
    {
        using var pair = new ConnectionPair(
            // 1200-byte datagrams throughout (no PMTU discovery): larger ones finish the transfer before two updates fit.
            ConnectionPair.ClientOptions(o => { o.KeyUpdateIntervalPackets = 300; o.EnablePathMtuDiscovery = false; }),
            ConnectionPair.ServerOptions(o => { o.KeyUpdateIntervalPackets = 500; o.EnablePathMtuDiscovery = false; }),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(10), LossRate = 0.005, ReorderRate = 0.01, ReorderDelay = TimeSpan.FromMilliseconds(5) }, seed: 3);
        Assert.True(pair.CompleteHandshake());
        // 2 MB a stream: long enough for two updates 3 PTO apart (RFC 9001 §6.5) however fast the window grows.
        var app = new TransferApp(pair, 2 << 20);
        app.OpenStreams(2);
        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0));
        Assert.Empty(app.Errors);
        Assert.True(pair.Client.GetStatistics().KeyUpdates >= 2, $"client key updates: {pair.Client.GetStatistics().KeyUpdates}");
        Assert.True(pair.Server.GetStatistics().KeyUpdates >= 2, $"server key updates: {pair.Server.GetStatistics().KeyUpdates}");
    }

    /// <summary>
    /// RFC 9001 §6.5: after the acknowledgment confirming a key update, wait three PTOs before the next one. Found against
    /// ngtcp2, which cannot decrypt a second update that comes sooner ("new key is not available") and drops the packets.
    /// </summary>
    [Fact]
    public void Frequent_key_updates_wait_three_ptos_between_updates()
    {
        var delay = TimeSpan.FromMilliseconds(50); // RTT 100 ms, so PTO >= 100 ms and 3 PTO >= 300 ms
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o => o.KeyUpdateIntervalPackets = 1),
            ConnectionPair.ServerOptions(),
            new LinkConditions { Delay = delay }, seed: 5);
        Assert.True(pair.CompleteHandshake());
        var started = pair.Now;
        var app = new TransferApp(pair, 4 << 20);
        app.OpenStreams(1);
        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0));
        Assert.Empty(app.Errors);
        TimeSpan elapsed = pair.Now - started;
        long updates = pair.Client.GetStatistics().KeyUpdates;
        Assert.True(updates >= 2, $"only {updates} key updates in {elapsed.TotalMilliseconds} ms");
        long allowed = (long)(elapsed / (6 * delay)) + 1;
        Assert.True(updates <= allowed, $"{updates} key updates in {elapsed.TotalMilliseconds} ms: faster than one per 3 PTO (at most {allowed})");
    }

    [Theory]
    [InlineData(CongestionControlAlgorithm.NewReno, "newreno")]
    [InlineData(CongestionControlAlgorithm.Cubic, "cubic")]
    [InlineData(CongestionControlAlgorithm.Bbr, "bbr")]
    public void Each_congestion_controller_completes_a_transfer(CongestionControlAlgorithm algorithm, string name)
    {
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o => o.CongestionControl = algorithm),
            ConnectionPair.ServerOptions(o => o.CongestionControl = algorithm),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(20), LossRate = 0.01, BandwidthBitsPerSecond = 50_000_000, QueueCapacityPackets = 200 }, seed: 11);
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, 1 << 20);
        app.OpenStreams(2);
        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0));
        Assert.Empty(app.Errors);
        Assert.Equal(name, pair.Client.GetStatistics().CongestionControllerName);
        Assert.Equal(name, pair.Server.GetStatistics().CongestionControllerName);
    }

    [Fact]
    public void Custom_congestion_controller_factory_is_used()
    {
        var factory = new CountingFactory();
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(o => o.CongestionControllerFactory = factory), ConnectionPair.ServerOptions());
        Assert.True(pair.CompleteHandshake());
        Assert.Equal(1, factory.Created);
        Assert.Equal("newreno", pair.Client.GetStatistics().CongestionControllerName);
    }

    private sealed class CountingFactory : ICongestionControllerFactory
    {
        public int Created { get; private set; }

        public ICongestionController Create(int maxDatagramSize)
        {
            Created++;
            return CongestionControllerFactory.For(CongestionControlAlgorithm.NewReno).Create(maxDatagramSize);
        }
    }

    [Fact]
    public void Transfers_survive_generated_impairments_and_the_server_respects_the_amplification_limit()
    {
        var gen =
            from loss in Gen.Choose(0, 100)
            from reorder in Gen.Choose(0, 50)
            from duplicate in Gen.Choose(0, 30)
            from corrupt in Gen.Choose(0, 20)
            from seed in Gen.Choose(1, 100_000)
            select (Loss: loss / 1000.0, Reorder: reorder / 1000.0, Duplicate: duplicate / 1000.0, Corrupt: corrupt / 1000.0, Seed: seed);
        Prop.ForAll(gen.ToArbitrary(), p =>
        {
            var conditions = new LinkConditions
            {
                Delay = TimeSpan.FromMilliseconds(15), Jitter = TimeSpan.FromMilliseconds(2), LossRate = p.Loss, ReorderRate = p.Reorder,
                ReorderDelay = TimeSpan.FromMilliseconds(8), DuplicateRate = p.Duplicate, CorruptRate = p.Corrupt,
            };
            using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(bigFlight: true), conditions, p.Seed);
            var app = new TransferApp(pair, 256 << 10);
            if (!pair.CompleteHandshake()) return false.Label($"handshake did not complete {p}");
            app.OpenStreams(3);
            bool done = pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0);
            return (done && app.Errors.Count == 0 && !pair.AmplificationViolated)
                .Label($"{p}: done={done} errors={string.Join("; ", app.Errors)} amplification={pair.AmplificationViolated}");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(5));
    }

    [Fact]
    public void Handshakes_under_generated_loss_never_break_the_amplification_limit()
    {
        var gen = from loss in Gen.Choose(0, 300) from seed in Gen.Choose(1, 100_000) select (Loss: loss / 1000.0, Seed: seed);
        Prop.ForAll(gen.ToArbitrary(), p =>
        {
            var conditions = new LinkConditions { Delay = TimeSpan.FromMilliseconds(20), LossRate = p.Loss };
            using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(bigFlight: true), conditions, p.Seed);
            bool done = pair.CompleteHandshake();
            return (done && !pair.AmplificationViolated).Label($"{p}: done={done} amplification={pair.AmplificationViolated}");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(20));
    }
}
