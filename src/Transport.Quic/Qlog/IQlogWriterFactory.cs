using Transport.Core.Time;
using Transport.Core.Wire;

namespace Transport.Quic.Qlog;

/// <summary>
/// Makes the qlog writer of each new connection (<see cref="Connection.ConnectionOptions.Qlog"/>). The connection calls
/// <see cref="Create"/> once, when it is created, owns the writer from then on (it writes, flushes at
/// <c>connectivity:connection_closed</c> and disposes it when the connection terminates or is disposed), and never lets
/// an exception from it escape: a factory that throws, or returns null, leaves the connection without a log.
/// </summary>
/// <remarks>
/// <see cref="QlogFileFactory"/> writes one file per connection into a directory (the QLOGDIR convention). May be called
/// from the threads of several connections at once: an implementation shared by many connections must be thread-safe.
/// </remarks>
public interface IQlogWriterFactory
{
    /// <summary>
    /// The writer for a new connection, or null (or <see cref="QlogWriter.Null"/>) for none.
    /// </summary>
    /// <param name="originalDestinationConnectionId">The client's first Destination Connection ID, the same on both
    /// sides (a server after a Retry gets the ID from before the Retry): the trace's <c>group_id</c> and file name.</param>
    /// <param name="vantagePoint">Whether the connection is the client or the server.</param>
    /// <param name="referenceTime">The connection's creation time: event time 0.</param>
    QlogWriter? Create(ConnectionId originalDestinationConnectionId, QlogVantagePoint vantagePoint, Instant referenceTime);
}
