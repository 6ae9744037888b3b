using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Transport.Interop.Tests.Relay;

/// <summary>A datagram a <see cref="UdpTestPeer"/> received.</summary>
internal sealed record ReceivedPacket(byte[] Data, IPEndPoint From, long Timestamp);

/// <summary>
/// A UDP socket on loopback with a receive thread that queues every datagram (and optionally echoes it back).
/// Dispose stops and joins the thread.
/// </summary>
internal sealed class UdpTestPeer : IDisposable
{
    private readonly Socket _socket;
    private readonly Thread _thread;
    private readonly BlockingCollection<ReceivedPacket> _received = new();
    private readonly ConcurrentQueue<ReceivedPacket> _all = new();
    private volatile bool _stop;

    public UdpTestPeer(bool echo = false, IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.ReceiveBufferSize = 4 << 20;
        _socket.Bind(new IPEndPoint(address, 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        Echo = echo;
        _thread = new Thread(Run) { IsBackground = true, Name = "udp-test-peer" };
        _thread.Start();
    }

    public IPEndPoint EndPoint { get; }
    public bool Echo { get; }
    public Socket Socket => _socket;

    /// <summary>Everything received so far, in order.</summary>
    public IReadOnlyList<ReceivedPacket> All => _all.ToArray();

    public void Send(byte[] data, IPEndPoint to) => _socket.SendTo(data, to);

    public ReceivedPacket? Receive(TimeSpan timeout) => _received.TryTake(out var p, timeout) ? p : null;

    /// <summary>Receives until <paramref name="count"/> datagrams came or nothing came for <paramref name="quiet"/>.</summary>
    public List<ReceivedPacket> ReceiveMany(int count, TimeSpan quiet)
    {
        var list = new List<ReceivedPacket>();
        while (list.Count < count && Receive(quiet) is { } p) list.Add(p);
        return list;
    }

    private void Run()
    {
        byte[] buffer = new byte[65536];
        EndPoint from = new IPEndPoint(EndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stop)
        {
            try
            {
                if (!_socket.Poll(20_000, SelectMode.SelectRead)) continue;
                int n = _socket.ReceiveFrom(buffer, ref from);
                var packet = new ReceivedPacket(buffer[..n], (IPEndPoint)from, Stopwatch.GetTimestamp());
                _all.Enqueue(packet);
                _received.Add(packet);
                if (Echo) _socket.SendTo(packet.Data, from);
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        _socket.Dispose();
        _received.Dispose();
    }
}
