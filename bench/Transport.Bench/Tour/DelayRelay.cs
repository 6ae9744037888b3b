using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Transport.Bench.Tour;

/// <summary>
/// A small real-time UDP relay on loopback for the tour when network namespaces are out of reach (not root): clients
/// send to <see cref="EndPoint"/>; each client address gets its own upstream socket toward the server. Every datagram,
/// both ways, is dropped with probability <c>loss</c> (seeded) or delivered after the one-way delay. No bottleneck, no
/// jitter. One sender thread holds a FIFO (the delay is constant, so due times never decrease), sleeps until about
/// 1 ms before the head is due, then spins.
/// </summary>
internal sealed class DelayRelay : IDisposable
{
    private readonly Socket _listen;
    private readonly IPEndPoint _server;
    private readonly long _delayTicks;
    private readonly double _loss;
    private readonly Random _random;
    private readonly ConcurrentDictionary<IPEndPoint, Socket> _upstream = new();
    private readonly Queue<(long Due, Socket From, IPEndPoint To, byte[] Data)> _queue = new();
    private readonly SemaphoreSlim _ready = new(0);
    private readonly List<Thread> _threads = [];
    private volatile bool _stopped;

    public DelayRelay(IPEndPoint server, TimeSpan oneWayDelay, double loss, int seed)
    {
        _server = server;
        _delayTicks = (long)(oneWayDelay.TotalSeconds * Stopwatch.Frequency);
        _loss = loss;
        _random = new Random(seed);
        _listen = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _listen.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = (IPEndPoint)_listen.LocalEndPoint!;
        Start(() => ReceiveLoop(_listen, null), "relay-listen");
        Start(SendLoop, "relay-send");
    }

    public IPEndPoint EndPoint { get; }

    private void Start(ThreadStart body, string name)
    {
        var thread = new Thread(body) { IsBackground = true, Name = name };
        lock (_threads) _threads.Add(thread);
        thread.Start();
    }

    /// <summary>From a client (<paramref name="client"/> null: learn the source) or from the server for <paramref name="client"/>.</summary>
    private void ReceiveLoop(Socket socket, IPEndPoint? client)
    {
        byte[] buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stopped)
        {
            int n;
            try
            {
                n = socket.ReceiveFrom(buffer, ref any);
            }
            catch (Exception)
            {
                if (_stopped) return;
                continue;
            }
            long now = Stopwatch.GetTimestamp();
            var source = (IPEndPoint)any;
            Socket from;
            IPEndPoint to;
            if (client is null)
            {
                from = _upstream.GetOrAdd(source, CreateUpstream);
                to = _server;
            }
            else
            {
                from = _listen;
                to = client;
            }
            bool drop;
            lock (_random) drop = _loss > 0 && _random.NextDouble() < _loss;
            if (drop) continue;
            lock (_queue) _queue.Enqueue((now + _delayTicks, from, to, buffer.AsSpan(0, n).ToArray()));
            _ready.Release();
        }
    }

    private Socket CreateUpstream(IPEndPoint client)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Start(() => ReceiveLoop(socket, client), "relay-upstream");
        return socket;
    }

    private void SendLoop()
    {
        while (!_stopped)
        {
            if (!_ready.Wait(200)) continue;
            (long due, Socket from, IPEndPoint to, byte[] data) item;
            lock (_queue) item = _queue.Dequeue();
            while (!_stopped)
            {
                long wait = item.due - Stopwatch.GetTimestamp();
                if (wait <= 0) break;
                double ms = wait * 1000.0 / Stopwatch.Frequency;
                if (ms > 1.5) Thread.Sleep((int)(ms - 1));
                else Thread.SpinWait(50);
            }
            try { item.from.SendTo(item.data, item.to); } catch (Exception) { }
        }
    }

    public void Dispose()
    {
        _stopped = true;
        _listen.Dispose();
        foreach (Socket s in _upstream.Values) s.Dispose();
        Thread[] threads;
        lock (_threads) threads = [.. _threads];
        foreach (Thread t in threads) t.Join(1000);
        _ready.Dispose();
    }
}
