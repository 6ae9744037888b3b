using System.Net;

namespace Transport.Bench.Tour;

/// <summary>A running loopback server of one contender; disposing it stops it and closes its connections.</summary>
internal interface ITourServer : IAsyncDisposable
{
    /// <summary>Where clients connect.</summary>
    EndPoint EndPoint { get; }
}
