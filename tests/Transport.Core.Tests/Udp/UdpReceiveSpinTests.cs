using System.Net;
using System.Net.Sockets;
using Transport.Core.Udp;
using static Transport.Core.Tests.Udp.UdpTestSupport;

namespace Transport.Core.Tests.Udp;

/// <summary>The receive loop's busy-poll before blocking (<see cref="UdpReceiveLoop.SpinTime"/>) on real loopback sockets.</summary>
public sealed class UdpReceiveSpinTests
{
    [Theory]
    [InlineData(-1L)]
    [InlineData(-10L)]
    [InlineData(100_001L)] // 10 ms + 100 ns
    [InlineData(10_000_000L)] // 1 s
    public void Spin_time_out_of_range_is_rejected(long ticks)
    {
        using var socket = Open(IPAddress.Loopback);
        using var loop = socket.StartReceiveLoop(new CheckingReceiver(AddressOf(socket, IPAddress.Loopback, socket), 1));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => loop.SpinTime = TimeSpan.FromTicks(ticks));
        Assert.Equal(nameof(UdpReceiveLoop.SpinTime), e.ParamName);
        Assert.Contains("zero (off) to 10 ms", e.Message);
        Assert.Equal(TimeSpan.Zero, loop.SpinTime); // unchanged
        Assert.Throws<ArgumentOutOfRangeException>(() => UdpReceiveLoop.ValidateSpinTime(TimeSpan.FromTicks(ticks), "x"));
    }

    [Fact]
    public void Spin_time_in_range_is_kept()
    {
        using var socket = Open(IPAddress.Loopback);
        using var loop = socket.StartReceiveLoop(new CheckingReceiver(AddressOf(socket, IPAddress.Loopback, socket), 1));
        foreach (var t in new[] { TimeSpan.FromMicroseconds(50), UdpReceiveLoop.MaxSpinTime, TimeSpan.Zero })
        {
            loop.SpinTime = t;
            Assert.InRange(Math.Abs((loop.SpinTime - t).TotalMicroseconds), 0, 1); // Stopwatch ticks round trip
        }
    }

    /// <summary>
    /// Ping style (each datagram sent after the previous one arrived, the loop spinning meanwhile) and bursts: every
    /// datagram arrives intact, once, with the spin on or off, on each receive path.
    /// </summary>
    [Theory]
    [InlineData(0, true, false)]
    [InlineData(10_000, true, false)]
    [InlineData(10_000, false, false)]
    [InlineData(10_000, false, true)]
    [InlineData(0, false, true)]
    public void Spin_on_or_off_delivers_every_datagram(int spinMicroseconds, bool gro, bool portable)
    {
        const int OneByOne = 100, Bursts = 10, BurstSize = 30;
        int total = OneByOne + Bursts * BurstSize;
        using var receiver = Open(IPAddress.Loopback, gro: gro, portable: portable);
        using var sender = Open(IPAddress.Loopback);
        var checker = new CheckingReceiver(AddressOf(receiver, IPAddress.Loopback, sender), total);
        using var loop = receiver.StartReceiveLoop(checker);
        loop.SpinTime = TimeSpan.FromMicroseconds(spinMicroseconds);
        SocketAddress to = AddressOf(sender, IPAddress.Loopback, receiver);
        byte[] buffer = new byte[1500];
        int sequence = 0;
        for (; sequence < OneByOne; sequence++)
        {
            sender.Send(buffer.AsSpan(0, Fill(buffer, sequence)), to);
            checker.WaitFor(sequence + 1);
        }
        for (int b = 0; b < Bursts; b++)
        {
            for (int i = 0; i < BurstSize; i++, sequence++) sender.Send(buffer.AsSpan(0, Fill(buffer, sequence)), to);
            checker.WaitFor(sequence);
        }
        Assert.Empty(checker.Errors);
        Assert.Equal(0, checker.Missing());
        WaitUntil(() => loop.DatagramsReceived == total, "the loop to count every datagram"); // counted after the handoff
        Assert.False(loop.Completion.IsCompleted);
        if (spinMicroseconds == 0) Assert.Equal(0, loop.SpinBatches);
        // With a 10 ms spin, a datagram sent right after the previous one was handed over is all but always taken by
        // the spin (only a preemption of the receive thread past the deadline could miss one): not all 100 can miss.
        else Assert.True(loop.SpinBatches > 0, "no batch was taken by spinning");
    }

    [Fact]
    public void A_receiver_that_disallows_spinning_is_never_spun_for()
    {
        using var receiver = Open(IPAddress.Loopback);
        using var sender = Open(IPAddress.Loopback);
        var checker = new CheckingReceiver(AddressOf(receiver, IPAddress.Loopback, sender), 50) { SpinAllowed = false };
        using var loop = receiver.StartReceiveLoop(checker);
        loop.SpinTime = UdpReceiveLoop.MaxSpinTime;
        SocketAddress to = AddressOf(sender, IPAddress.Loopback, receiver);
        byte[] buffer = new byte[1500];
        for (int i = 0; i < 50; i++)
        {
            sender.Send(buffer.AsSpan(0, Fill(buffer, i)), to);
            checker.WaitFor(i + 1);
        }
        Assert.Equal(0, checker.Missing());
        Assert.Equal(0, loop.SpinBatches);
    }

    /// <summary>Disposal while the loop spins (right after a batch, with the longest spin) ends the loop cleanly.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dispose_during_a_spin_ends_the_loop(bool portable)
    {
        var socket = Open(IPAddress.Loopback, portable: portable);
        using var sender = Open(IPAddress.Loopback);
        var checker = new CheckingReceiver(AddressOf(socket, IPAddress.Loopback, sender), 1);
        var loop = socket.StartReceiveLoop(checker);
        loop.SpinTime = UdpReceiveLoop.MaxSpinTime;
        byte[] buffer = new byte[100];
        sender.Send(buffer.AsSpan(0, Fill(buffer, 0)), AddressOf(sender, IPAddress.Loopback, socket));
        checker.WaitFor(1); // the loop now spins (for up to 10 ms), then blocks
        loop.Dispose();
        await loop.Completion.WaitAsync(WaitLimit);
        Assert.True(loop.Completion.IsCompletedSuccessfully);
        Assert.Empty(checker.Errors);
    }
}
