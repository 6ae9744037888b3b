using System.Text.Json;
using Transport.Core.Time;
using Transport.Quic.Packets;
using Transport.Quic.Qlog;
using static Transport.Quic.Tests.Qlog.QlogTestSupport;

namespace Transport.Quic.Tests.Qlog;

public sealed class QlogFileFactoryTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "qlog-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public void File_name_follows_the_QLOGDIR_convention()
    {
        Assert.Equal("8394c8f03e515708_server.sqlog", QlogFileFactory.GetFileName(Odcid, QlogVantagePoint.Server));
        Assert.Equal("8394c8f03e515708_client.sqlog", QlogFileFactory.GetFileName(Odcid, QlogVantagePoint.Client));
    }

    [Fact]
    public void Creates_the_directory_and_a_readable_trace()
    {
        var factory = new QlogFileFactory(Path.Combine(_dir, "nested"));
        using (var writer = factory.Create(Odcid, QlogVantagePoint.Server, Instant.Zero, title: "test"))
        {
            Assert.True(writer.IsEnabled);
            writer.PacketReceived(Instant.FromMilliseconds(3), PacketType.Initial, 0, 1200);
        }
        string path = Path.Combine(_dir, "nested", "8394c8f03e515708_server.sqlog");
        Assert.Equal(path, factory.GetPath(Odcid, QlogVantagePoint.Server));
        var records = Records(File.ReadAllBytes(path));
        Assert.Equal(2, records.Count);
        var header = JsonDocument.Parse(records[0]).RootElement;
        Assert.Equal("server", header.GetProperty("trace").GetProperty("vantage_point").GetProperty("type").GetString());
        Assert.Equal(3, JsonDocument.Parse(records[1]).RootElement.GetProperty("time").GetDouble());
        Assert.Null(factory.LastFailure);
    }

    [Fact]
    public void An_unusable_directory_yields_the_null_writer()
    {
        Directory.CreateDirectory(_dir);
        string file = Path.Combine(_dir, "not-a-directory");
        File.WriteAllText(file, "x");
        var factory = new QlogFileFactory(file);
        var writer = factory.Create(Odcid, QlogVantagePoint.Client, Instant.Zero);
        Assert.Same(QlogWriter.Null, writer);
        Assert.NotNull(factory.LastFailure);
    }

    [Fact]
    public void Blank_directory_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new QlogFileFactory(" "));
        Assert.Throws<ArgumentException>(() => new QlogFileFactory(""));
    }

    [Fact]
    public void From_environment_reads_QLOGDIR()
    {
        string? saved = Environment.GetEnvironmentVariable(QlogFileFactory.DirectoryVariable);
        try
        {
            Environment.SetEnvironmentVariable(QlogFileFactory.DirectoryVariable, null);
            Assert.Null(QlogFileFactory.FromEnvironment());
            Environment.SetEnvironmentVariable(QlogFileFactory.DirectoryVariable, _dir);
            Assert.Equal(_dir, QlogFileFactory.FromEnvironment()!.Directory);
        }
        finally
        {
            Environment.SetEnvironmentVariable(QlogFileFactory.DirectoryVariable, saved);
        }
    }
}
