package testserver

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// Fresh databases for the store, one per RunEtcd, from
// storagetest/databases.mjs, which storage-test.sh runs on a unix socket next
// to the test binaries. Going through it keeps this package on Go's standard
// library: the committed go.mod also builds the kube binaries, and a database
// driver would move their shared dependencies.
const (
	// EnvDatabases is the unix socket of databases.mjs.
	EnvDatabases = "CNPAAS_STORAGE_TEST_DATABASES"
	// The variables a rendered topology's passwordEnv names; set for the store only.
	EnvPostgresPassword = "CNPAAS_STORAGE_TEST_POSTGRES_PASSWORD"
	EnvMysqlPassword    = "CNPAAS_STORAGE_TEST_MYSQL_PASSWORD"
	databaseTimeout     = 60 * time.Second
)

// A database databases.mjs created.
type database struct {
	Name     string `json:"name"`
	Endpoint string `json:"endpoint"` // with the password
	Bare     string `json:"bare"`     // without it
	Password string `json:"password"`
	server   string
}

func databasesClient(t testing.TB) *http.Client {
	sock := os.Getenv(EnvDatabases)
	if sock == "" {
		t.Fatalf("%s is not set: this run needs fresh databases; run it through scripts/k8s/storage-test.sh (--main, or a topology with {{postgres:NAME}} / {{mysql:NAME}})", EnvDatabases)
	}
	return &http.Client{
		Timeout: databaseTimeout,
		Transport: &http.Transport{
			// One connection per request: a kept-alive connection that databases.mjs
			// closes just as the cleanup's DELETE goes out comes back as "connection
			// reset by peer" (seen once in CI), and Go does not retry a DELETE itself.
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", sock)
			},
		},
	}
}

// freshDatabase creates an empty database on server ("postgres" or "mysql")
// and drops it when the test ends, after the stores stopped (cleanups run
// last-registered first, and the stores register theirs later).
func freshDatabase(t testing.TB, server string) database {
	t.Helper()
	client := databasesClient(t)
	resp, err := client.Post("http://databases/databases?server="+url.QueryEscape(server), "application/json", nil)
	if err != nil {
		t.Fatalf("asking storagetest/databases.mjs for a %s database: %v", server, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("storagetest/databases.mjs could not create a %s database (%s): %s", server, resp.Status, body)
	}
	var db database
	if err := json.Unmarshal(body, &db); err != nil {
		t.Fatalf("storagetest/databases.mjs answered %q: %v", body, err)
	}
	db.server = server
	t.Cleanup(func() {
		drop := func() (*http.Response, error) {
			req, _ := http.NewRequest(http.MethodDelete, "http://databases/databases/"+url.PathEscape(db.Name)+"?server="+url.QueryEscape(server), nil)
			return client.Do(req)
		}
		resp, err := drop()
		if err != nil {
			// DROP DATABASE IF EXISTS: asking again is harmless.
			resp, err = drop()
		}
		if err != nil {
			t.Errorf("dropping %s database %s: %v", server, db.Name, err)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			body, _ := io.ReadAll(resp.Body)
			t.Errorf("dropping %s database %s: %s: %s", server, db.Name, resp.Status, body)
		}
	})
	return db
}

// {{postgres:NAME}} or {{mysql:NAME}}: a fresh database per distinct NAME.
var placeholder = regexp.MustCompile(`\{\{(postgres|mysql):([A-Za-z0-9_-]+)\}\}`)

// renderTopology returns the topology file to give the store and the
// variables its passwordEnv fields need. A file without placeholders is used
// as it is. Placeholders become endpoints without a password, so the
// rendered file holds none: the backend's passwordEnv names
// CNPAAS_STORAGE_TEST_POSTGRES_PASSWORD or _MYSQL_PASSWORD, which only the
// store's environment carries.
func renderTopology(t testing.TB, path string) (string, []string) {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if !placeholder.Match(text) {
		return path, nil
	}
	created := map[string]database{}
	var env []string
	rendered := placeholder.ReplaceAllStringFunc(string(text), func(m string) string {
		parts := placeholder.FindStringSubmatch(m)
		if db, ok := created[m]; ok {
			return db.Bare
		}
		db := freshDatabase(t, parts[1])
		created[m] = db
		if parts[1] == "postgres" {
			env = append(env, EnvPostgresPassword+"="+db.Password)
		} else {
			env = append(env, EnvMysqlPassword+"="+db.Password)
		}
		return db.Bare
	})
	dir, err := os.MkdirTemp("", "cst-topology")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	out := filepath.Join(dir, filepath.Base(path))
	if err := os.WriteFile(out, []byte(rendered), 0o600); err != nil {
		t.Fatal(err)
	}
	return out, env
}
