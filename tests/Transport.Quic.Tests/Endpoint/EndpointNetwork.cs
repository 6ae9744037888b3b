using System.Net;
using Transport.Core.Simulation;
using Transport.Core.Time;
using Transport.Quic.Connection;
using Transport.Quic.Endpoint;

namespace Transport.Quic.Tests.Endpoint;

/// <summary>
/// Drives several <see cref="QuicEndpointCore"/> instances over one <see cref="NetworkSimulator"/> in virtual time:
/// flush every endpoint, deliver due datagrams, advance to the next delivery or timeout. Bounded by a step count.
/// </summary>
internal sealed class EndpointNetwork : IDisposable
{
    private readonly byte[] _buffer = new byte[65536];
    private readonly Dictionary<IPEndPoint, QuicEndpointCore> _endpoints = new();

    public EndpointNetwork(int seed = 1, LinkConditions? defaultConditions = null)
    {
        Simulator = new NetworkSimulator(seed);
        Simulator.DefaultConditions = defaultConditions ?? new LinkConditions { Delay = TimeSpan.FromMilliseconds(10) };
        Now = Instant.FromMilliseconds(1_000);
    }

    public NetworkSimulator Simulator { get; }
    public Instant Now { get; private set; }
    public List<(IPEndPoint Endpoint, QuicConnectionCore Connection, ConnectionEvent Event)> Events { get; } = new();

    /// <summary>Called for every event: (endpoint address, connection, event).</summary>
    public Action<IPEndPoint, QuicConnectionCore, ConnectionEvent>? OnEvent { get; set; }

    public QuicEndpointCore Add(IPEndPoint address, QuicEndpointOptions options)
    {
        var endpoint = new QuicEndpointCore(options);
        _endpoints.Add(address, endpoint);
        return endpoint;
    }

    /// <summary>Replaces the endpoint at <paramref name="address"/> with a fresh one (a restart that lost all state).</summary>
    public QuicEndpointCore Restart(IPEndPoint address, QuicEndpointOptions options)
    {
        _endpoints[address].Dispose();
        var endpoint = new QuicEndpointCore(options);
        _endpoints[address] = endpoint;
        return endpoint;
    }

    /// <summary>Injects a raw datagram into the network.</summary>
    public void Inject(IPEndPoint from, IPEndPoint to, ReadOnlySpan<byte> datagram) => Simulator.Send(Now, from, to, datagram);

    public bool RunUntil(Func<bool> condition, int maxSteps = 500_000)
    {
        for (int step = 0; step < maxSteps; step++)
        {
            Drain();
            if (condition()) return true;
            foreach (var (address, endpoint) in _endpoints)
            {
                endpoint.DrainAllEvents();
                for (int i = 0; i < 100_000; i++)
                {
                    int n = endpoint.PollTransmit(Now, _buffer, out IPEndPoint destination, out _);
                    if (n == 0) break;
                    Simulator.Send(Now, address, destination, _buffer.AsSpan(0, n));
                }
            }
            bool delivered = false;
            while (Simulator.TryReceive(Now, out var d))
            {
                delivered = true;
                if (_endpoints.TryGetValue(d.Destination, out var endpoint)) endpoint.HandleDatagram(Now, d.Source, d.Payload.Span);
            }
            if (delivered) continue;
            Drain();
            if (condition()) return true;
            Instant? next = Simulator.NextDeliveryTime;
            foreach (var endpoint in _endpoints.Values)
                if (endpoint.NextTimeout() is { } t && (next is null || t < next.Value)) next = t;
            if (next is not { } due) return condition();
            if (due > Now) Now = due;
            foreach (var endpoint in _endpoints.Values)
                if (endpoint.NextTimeout() is { } t && t <= Now) endpoint.HandleTimeout(Now);
        }
        return false;
    }

    private void Drain()
    {
        foreach (var (address, endpoint) in _endpoints)
        {
            while (endpoint.PollEvent(out var connection, out var e))
            {
                Events.Add((address, connection, e));
                OnEvent?.Invoke(address, connection, e);
            }
        }
    }

    public void Dispose()
    {
        foreach (var endpoint in _endpoints.Values) endpoint.Dispose();
    }
}
