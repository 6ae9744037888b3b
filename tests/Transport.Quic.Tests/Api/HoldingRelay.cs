using System.Net;
using System.Net.Sockets;

namespace Transport.Quic.Tests.Api;

/// <summary>
/// A UDP relay on 127.0.0.1 between one client and a server: client datagrams go through at once, the server's are held
/// until <see cref="Release"/>. A client connecting through it cannot complete a handshake before the test says so.
/// With <see cref="DropClientDatagram"/> it also loses chosen client datagrams (by their index, deterministic).
/// </summary>
internal sealed class HoldingRelay : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _server;
    private readonly List<byte[]> _held = new();
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private IPEndPoint? _client;
    private bool _holding = true;
    private long _clientBytes, _clientDatagrams, _dropped;
    private (long Threshold, TaskCompletionSource Done)? _clientBytesWaiter;

    public HoldingRelay(IPEndPoint server, bool hold = true)
    {
        _server = server;
        _holding = hold;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _ = Task.Run(Run);
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Given the index of a client datagram (0, 1, ...), true to drop it.</summary>
    public Func<long, bool>? DropClientDatagram { get; init; }

    /// <summary>Client datagrams dropped.</summary>
    public long Dropped { get { lock (_gate) return _dropped; } }

    /// <summary>Server datagrams held so far.</summary>
    public int HeldCount { get { lock (_gate) return _held.Count; } }

    /// <summary>Completes once the client has sent at least <paramref name="bytes"/> bytes of datagrams.</summary>
    public Task WaitForClientBytesAsync(long bytes)
    {
        lock (_gate)
        {
            if (_clientBytes >= bytes) return Task.CompletedTask;
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _clientBytesWaiter = (bytes, tcs);
            return tcs.Task;
        }
    }

    public void Release()
    {
        lock (_gate)
        {
            _holding = false;
            foreach (var d in _held) _socket.SendTo(d, _client!);
            _held.Clear();
        }
    }

    private async Task Run()
    {
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                var r = await _socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                var from = (IPEndPoint)r.RemoteEndPoint;
                byte[] datagram = buffer.AsSpan(0, r.ReceivedBytes).ToArray();
                lock (_gate)
                {
                    if (from.Equals(_server))
                    {
                        if (_holding) _held.Add(datagram);
                        else if (_client is not null) _socket.SendTo(datagram, _client);
                    }
                    else
                    {
                        _client = from;
                        if (DropClientDatagram?.Invoke(_clientDatagrams++) == true)
                        {
                            _dropped++;
                            continue;
                        }
                        _socket.SendTo(datagram, _server);
                        _clientBytes += datagram.Length;
                        if (_clientBytesWaiter is { } w && _clientBytes >= w.Threshold)
                        {
                            _clientBytesWaiter = null;
                            w.Done.TrySetResult();
                        }
                    }
                }
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
    }
}
