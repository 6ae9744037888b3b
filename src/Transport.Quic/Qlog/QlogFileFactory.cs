using Transport.Core.Time;
using Transport.Core.Wire;

namespace Transport.Quic.Qlog;

/// <summary>
/// Creates one qlog file per connection in a directory, named <c>&lt;odcid hex&gt;_&lt;client|server&gt;.sqlog</c>: the
/// QLOGDIR convention of draft-ietf-quic-qlog-main-schema-03 (§ "Set file output destination via an environment
/// variable") and of the QUIC interop runner.
/// </summary>
/// <remarks>
/// Creating a file never throws: when the directory cannot be created or the file cannot be opened, <c>Create</c>
/// returns <see cref="QlogWriter.Null"/> and remembers the exception in <see cref="LastFailure"/>; the connection runs
/// on without a log. An existing file of the same name is replaced. Safe to share between the connections of an
/// endpoint (it holds no per-connection state).
/// </remarks>
public sealed class QlogFileFactory : IQlogWriterFactory
{
    /// <summary>The environment variable naming the qlog directory (main schema -03): <c>QLOGDIR</c>.</summary>
    public const string DirectoryVariable = "QLOGDIR";

    /// <summary>Writes qlog files into <paramref name="directory"/> (created on first use if missing).</summary>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is null, empty or blank.</exception>
    public QlogFileFactory(string directory)
    {
        if (string.IsNullOrWhiteSpace(directory))
            throw new ArgumentException("The qlog directory must be a non-empty path.", nameof(directory));
        Directory = directory;
    }

    /// <summary>The directory qlog files are written to.</summary>
    public string Directory { get; }

    /// <summary>The last exception met while creating a file, or null.</summary>
    public Exception? LastFailure { get; private set; }

    /// <summary>How many files could not be created (each such connection ran without a trace).</summary>
    public long FailureCount => Interlocked.Read(ref _failureCount);

    private long _failureCount;

    /// <summary>A factory for the directory named by the <c>QLOGDIR</c> environment variable, or null when it is unset.</summary>
    public static QlogFileFactory? FromEnvironment()
    {
        string? dir = Environment.GetEnvironmentVariable(DirectoryVariable);
        return string.IsNullOrWhiteSpace(dir) ? null : new QlogFileFactory(dir);
    }

    /// <summary>The file name for a connection: <c>&lt;odcid hex&gt;_&lt;client|server&gt;.sqlog</c>.</summary>
    public static string GetFileName(ConnectionId originalDestinationConnectionId, QlogVantagePoint vantagePoint) =>
        originalDestinationConnectionId.ToString() + (vantagePoint == QlogVantagePoint.Server ? "_server" : "_client")
        + QlogWriter.FileExtension;

    /// <summary>The full path of a connection's qlog file in <see cref="Directory"/>.</summary>
    public string GetPath(ConnectionId originalDestinationConnectionId, QlogVantagePoint vantagePoint) =>
        Path.Combine(Directory, GetFileName(originalDestinationConnectionId, vantagePoint));

    /// <summary>
    /// Opens the connection's file and starts its trace (no title); see <see cref="Create(ConnectionId, QlogVantagePoint, Instant, string?)"/>.
    /// </summary>
    public QlogWriter Create(ConnectionId originalDestinationConnectionId, QlogVantagePoint vantagePoint, Instant referenceTime) =>
        Create(originalDestinationConnectionId, vantagePoint, referenceTime, null);

    /// <summary>
    /// Opens the connection's file and starts its trace, with <paramref name="referenceTime"/> as event time 0 and the
    /// current wall clock as its <c>reference_time</c>; returns <see cref="QlogWriter.Null"/> if the file cannot be made.
    /// </summary>
    public QlogWriter Create(ConnectionId originalDestinationConnectionId, QlogVantagePoint vantagePoint, Instant referenceTime,
        string? title)
    {
        FileStream? stream = null;
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            // The writer gathers records itself; a second buffer in FileStream would only copy them again.
            stream = new FileStream(GetPath(originalDestinationConnectionId, vantagePoint), FileMode.Create, FileAccess.Write,
                FileShare.Read, bufferSize: 0);
            return new QlogWriter(stream, vantagePoint, originalDestinationConnectionId, referenceTime, title: title);
        }
        catch (Exception e)
        {
            LastFailure = e;
            Interlocked.Increment(ref _failureCount);
            stream?.Dispose();
            return QlogWriter.Null;
        }
    }
}
