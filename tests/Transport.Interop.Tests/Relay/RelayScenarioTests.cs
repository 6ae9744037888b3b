using Transport.Interop.Relay;

namespace Transport.Interop.Tests.Relay;

public class RelayScenarioTests
{
    [Fact]
    public void ParsesTheRunnersScenarioStrings()
    {
        var p2p = RelayScenario.Parse("simple-p2p --delay=15ms --bandwidth=10Mbps --queue=25");
        Assert.Equal(TimeSpan.FromMilliseconds(15), p2p.Delay);
        Assert.Equal(10_000_000, p2p.BandwidthBitsPerSecond);
        Assert.Equal(25, p2p.QueuePackets);
        Assert.Equal(1500, p2p.Mtu);
        Assert.Equal(RelayScenario.Default with { Name = "simple-p2p" }, p2p with { ToClient = RelayScenario.Default.ToClient, ToServer = RelayScenario.Default.ToServer });

        var longRtt = RelayScenario.Parse("simple-p2p --delay=750ms --bandwidth=10Mbps --queue=25");
        Assert.Equal(TimeSpan.FromMilliseconds(750), longRtt.Delay);

        var drop = RelayScenario.Parse("drop-rate --delay=15ms --bandwidth=10Mbps --queue=25 --rate_to_server=30 --rate_to_client=2 --burst_to_server=3 --burst_to_client=4");
        Assert.Equal((30, 3), (drop.ToServer.DropRatePercent, drop.ToServer.DropBurst));
        Assert.Equal((2, 4), (drop.ToClient.DropRatePercent, drop.ToClient.DropBurst));
        Assert.Equal(0, drop.ToServer.CorruptRatePercent);

        var corrupt = RelayScenario.Parse("corrupt-rate --delay=15ms --bandwidth=10Mbps --queue=25 --rate_to_server=30 --rate_to_client=30");
        Assert.Equal((30, int.MaxValue), (corrupt.ToServer.CorruptRatePercent, corrupt.ToServer.CorruptBurst));
        Assert.Equal(0, corrupt.ToServer.DropRatePercent);

        var droplist = RelayScenario.Parse("droplist --delay=15ms --bandwidth=10Mbps --queue=25 --drops_to_server=2,3,4,5,6,7");
        Assert.Equal([2, 3, 4, 5, 6, 7], droplist.ToServer.DropList.Order());
        Assert.Empty(droplist.ToClient.DropList);

        var blackhole = RelayScenario.Parse("blackhole --delay=15ms --bandwidth=10Mbps --queue=25 --on=5s --off=2s");
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2), 1), (blackhole.BlackholeOn!.Value, blackhole.BlackholeOff, blackhole.BlackholeRepeat));
        Assert.True(blackhole.ToClient.Blackholed && blackhole.ToServer.Blackholed);

        var rebind = RelayScenario.Parse("rebind --delay=15ms --bandwidth=10Mbps --queue=25 --first-rebind=1s --rebind-freq=5s --rebind-addr");
        Assert.Equal((TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), true), (rebind.FirstRebind!.Value, rebind.RebindFrequency, rebind.RebindAddress));
        Assert.False(RelayScenario.Parse("rebind --delay=15ms --bandwidth=10Mbps --queue=25 --first-rebind=1s --rebind-freq=5s").RebindAddress);
    }

    [Theory]
    [InlineData("")]
    [InlineData("nonsense --delay=15ms --bandwidth=10Mbps --queue=25")]
    [InlineData("simple-p2p --bandwidth=10Mbps --queue=25")]
    [InlineData("simple-p2p --delay=15ms --bandwidth=10Mbps --queue=25 --on=5s")]
    [InlineData("simple-p2p --delay=fast --bandwidth=10Mbps --queue=25")]
    [InlineData("drop-rate --delay=15ms --bandwidth=10Mbps --queue=25 --rate_to_server=30")]
    [InlineData("drop-rate --delay=15ms --bandwidth=10Mbps --queue=25 --rate_to_server=130 --rate_to_client=1")]
    [InlineData("droplist --delay=15ms --bandwidth=10Mbps --queue=25 --drops_to_server=0,1")]
    [InlineData("blackhole --delay=15ms --bandwidth=10Mbps --queue=25 --on=5s --off=2s --direction=up")]
    public void RejectsBadScenarioStrings(string text) => Assert.Throws<ArgumentException>(() => RelayScenario.Parse(text));

    [Fact]
    public void BlackholeWindowsAndRebindEpochsFollowTheRunnersSchedule()
    {
        var b = RelayScenario.Parse("blackhole --delay=15ms --bandwidth=10Mbps --queue=25 --on=5s --off=2s --repeat=2");
        bool At(double s) => b.IsBlackholeAt(TimeSpan.FromSeconds(s));
        Assert.False(At(0));
        Assert.False(At(4.999));
        Assert.True(At(5));
        Assert.True(At(6.999));
        Assert.False(At(7));
        Assert.False(At(11.9));
        Assert.True(At(12));
        Assert.True(At(13.9));
        Assert.False(At(14));
        Assert.False(At(19.5)); // repeat = 2: no third window

        var r = RelayScenario.Parse("rebind --delay=15ms --bandwidth=10Mbps --queue=25 --first-rebind=1s --rebind-freq=5s");
        Assert.Equal(0, r.RebindEpochAt(TimeSpan.FromSeconds(0.999)));
        Assert.Equal(1, r.RebindEpochAt(TimeSpan.FromSeconds(1)));
        Assert.Equal(1, r.RebindEpochAt(TimeSpan.FromSeconds(5.999)));
        Assert.Equal(2, r.RebindEpochAt(TimeSpan.FromSeconds(6)));
        Assert.Equal(3, r.RebindEpochAt(TimeSpan.FromSeconds(11)));
        var once = r with { RebindFrequency = TimeSpan.Zero };
        Assert.Equal(1, once.RebindEpochAt(TimeSpan.FromSeconds(100)));
        Assert.Equal(0, RelayScenario.Default.RebindEpochAt(TimeSpan.FromSeconds(100)));
    }

    [Fact]
    public void ParsesNs3TimesAndRates()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(1500), RelayScenario.ParseTime("1.5s"));
        Assert.Equal(TimeSpan.FromMicroseconds(250), RelayScenario.ParseTime("250us"));
        Assert.Equal(TimeSpan.FromSeconds(2), RelayScenario.ParseTime("2"));
        Assert.Equal(10_000_000, RelayScenario.ParseRate("10Mbps"));
        Assert.Equal(1_000_000_000, RelayScenario.ParseRate("1Gbps"));
        Assert.Equal(500_000, RelayScenario.ParseRate("500kbps"));
    }
}

public class RelayCommandTests
{
    [Fact]
    public void ParsesArgumentsAndRejectsBadOnes()
    {
        var o = RelayCommand.ParseArguments(["--listen", "127.0.0.1:0", "--server", "127.0.0.1:4433", "--scenario",
            "drop-rate --delay=15ms --bandwidth=10Mbps --queue=25 --rate_to_server=2 --rate_to_client=2 --burst_to_server=3 --burst_to_client=3",
            "--seed", "42", "--realtime", "--pcap-left", "l.pcap", "--pcap-right", "r.pcap", "--lifetime", "1.5"]);
        Assert.True(o.RealTimePriority);
        Assert.Equal(4433, o.ServerEndPoint!.Port);
        Assert.Equal(2, o.Scenario.ToServer.DropRatePercent);
        Assert.Equal(42, o.Seed);
        Assert.Equal(("l.pcap", "r.pcap"), (o.ClientPcapPath, o.ServerPcapPath));
        Assert.Equal(TimeSpan.FromSeconds(1.5), o.Lifetime);
        Assert.Throws<ArgumentException>(() => RelayCommand.ParseArguments(["--listen", "127.0.0.1:0"]));
        Assert.Throws<ArgumentException>(() => RelayCommand.ParseArguments(["--server", "localhost"]));
        Assert.Throws<ArgumentException>(() => RelayCommand.ParseArguments(["--server", "127.0.0.1:1", "--bogus", "x"]));
        Assert.Throws<ArgumentException>(() => RelayCommand.ParseArguments(["--server"]));
    }

    [Fact]
    public void RunsUntilItsLifetimeAndReports()
    {
        var log = new StringWriter();
        int code = RelayCommand.Run(["--server", "127.0.0.1:9", "--lifetime", "0.2"], log, CancellationToken.None);
        Assert.Equal(0, code);
        Assert.Contains("to server: received 0", log.ToString());
        Assert.Equal(2, RelayCommand.Run(["--server"], new StringWriter(), CancellationToken.None));
    }
}
