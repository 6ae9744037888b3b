using System.Net;
using System.Net.Sockets;
using Transport.Core.Udp;

namespace Transport.Core.Tests.Udp;

internal static class UdpTestSupport
{
    /// <summary>Generous bound for any wait on loopback; tests never rely on it for timing.</summary>
    internal static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(20);

    internal static readonly bool IPv6LoopbackAvailable = ProbeIPv6();

    private static bool ProbeIPv6()
    {
        if (!Socket.OSSupportsIPv6) return false;
        try
        {
            using var s = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    internal static UdpDatagramSocket Open(IPAddress address, bool gso = true, bool gro = true, bool dualMode = true,
        bool icmp = false, bool tos = false, bool portable = false)
        => new(new UdpSocketOptions
        {
            LocalEndPoint = new IPEndPoint(address, 0),
            DualMode = dualMode,
            EnableGso = gso,
            EnableGro = gro,
            ReportIcmpErrors = icmp,
            ReceiveTypeOfService = tos,
            PortableSystemCalls = portable,
            ReceiveBufferSize = 4 << 20,
            SendBufferSize = 1 << 20,
        });

    /// <summary>The address <paramref name="to"/> reaches <paramref name="target"/>'s port at <paramref name="address"/>.</summary>
    internal static SocketAddress AddressOf(UdpDatagramSocket from, IPAddress address, UdpDatagramSocket target)
        => from.CreateRemoteAddress(new IPEndPoint(address, target.LocalEndPoint.Port));

    /// <summary>Datagram <paramref name="sequence"/> of a test stream: its number, then a pattern that depends on it.</summary>
    internal static int Fill(Span<byte> buffer, int sequence)
    {
        int length = 8 + (int)((uint)(sequence * 7919) % 1193u);
        if (length > buffer.Length) length = buffer.Length;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(buffer, sequence);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(buffer[4..], length);
        for (int i = 8; i < length; i++) buffer[i] = (byte)(sequence * 31 + i);
        return length;
    }

    /// <summary>Checks a datagram made by <see cref="Fill"/>; returns its sequence number or -1.</summary>
    internal static int Check(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < 8) return -1;
        int sequence = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(datagram);
        int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(datagram[4..]);
        if (length != datagram.Length) return -1;
        for (int i = 8; i < length; i++)
            if (datagram[i] != (byte)(sequence * 31 + i)) return -1;
        return sequence;
    }

    /// <summary>Receives with a watchdog: if nothing arrives within <see cref="WaitLimit"/>, the socket is disposed and the test fails.</summary>
    internal static int ReceiveBounded(UdpDatagramSocket socket, DatagramBatch batch)
    {
        using var cts = new CancellationTokenSource(WaitLimit);
        using var registration = cts.Token.Register(socket.Dispose);
        try
        {
            return socket.Receive(batch);
        }
        catch (ObjectDisposedException) when (cts.IsCancellationRequested)
        {
            throw new Xunit.Sdk.XunitException($"No datagram arrived within {WaitLimit.TotalSeconds} s.");
        }
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds, failing the test otherwise.</summary>
    internal static void WaitUntil(Func<bool> condition, string what)
    {
        if (!SpinWait.SpinUntil(condition, WaitLimit))
            throw new Xunit.Sdk.XunitException($"Timed out after {WaitLimit.TotalSeconds} s waiting for {what}.");
    }
}

/// <summary>
/// A receiver for loop tests: checks every datagram's content and sender, records sequence numbers, wakes waiters.
/// </summary>
internal sealed class CheckingReceiver : IDatagramReceiver
{
    private readonly SocketAddress _expectedRemote;
    private readonly bool[] _seen;
    private readonly object _gate = new();
    private int _received;

    public CheckingReceiver(SocketAddress expectedRemote, int count)
    {
        _expectedRemote = expectedRemote;
        _seen = new bool[count];
    }

    public List<string> Errors { get; } = [];
    public int Received => Volatile.Read(ref _received);
    public int MaxSegmentSize { get; private set; }
    public int Batches { get; private set; }

    public void OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress remote, DatagramMetadata metadata)
    {
        int sequence = UdpTestSupport.Check(datagram);
        lock (_gate)
        {
            if (!remote.Equals(_expectedRemote))
                Errors.Add($"datagram from {UdpDatagramSocket.ToIPEndPoint(remote)}, expected {UdpDatagramSocket.ToIPEndPoint(_expectedRemote)}");
            if (sequence < 0 || sequence >= _seen.Length)
                Errors.Add($"corrupt datagram of {datagram.Length} bytes");
            else if (_seen[sequence])
                Errors.Add($"duplicate datagram {sequence}");
            else
                _seen[sequence] = true;
            if (metadata.SegmentSize > MaxSegmentSize) MaxSegmentSize = metadata.SegmentSize;
            _received++;
            Monitor.PulseAll(_gate);
        }
    }

    public void OnBatchCompleted() => Batches++;

    /// <summary>What <see cref="IDatagramReceiver.SpinAllowed"/> answers (default true, as the interface's default).</summary>
    public bool SpinAllowed { get; set; } = true;

    /// <summary>Blocks (bounded) until <paramref name="count"/> datagrams arrived.</summary>
    public void WaitFor(int count)
    {
        var deadline = DateTime.UtcNow + UdpTestSupport.WaitLimit;
        lock (_gate)
        {
            while (_received < count)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !Monitor.Wait(_gate, left) && _received < count)
                    throw new Xunit.Sdk.XunitException($"Only {_received} of {count} datagrams arrived within {UdpTestSupport.WaitLimit.TotalSeconds} s.");
            }
        }
    }

    public int Missing()
    {
        int missing = 0;
        lock (_gate)
            foreach (bool s in _seen) if (!s) missing++;
        return missing;
    }
}
