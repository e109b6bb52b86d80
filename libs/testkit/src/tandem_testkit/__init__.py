"""Tandem's test and demonstration tools, kept out of the services.

- ``tandem_testkit.hrfeed``: the synthetic HR feed, a deterministic organisation as
  ``hr.employees`` events plus mentoring profiles;
- ``tandem hr generate|publish|load-mentoring`` (``hr_cli``, registered under the
  ``tandem.cli`` entry point group like every other subcommand);
- ``tandem_testkit.demo``: the demonstration organisation ``tandem up`` loads into
  profiles (see that module for how it is found);
- ``tandem_testkit.matching_synthetic``: profile snapshots for matching tests and
  benchmarks;
- ``tandem_testkit.harness``: how tests and benchmarks run a service in a process of its
  own, read a topic, and the minimal ping service the backbone is exercised with.

The skill taxonomy belongs to profiles, so this package depends on ``tandem-profiles``
and reads it with ``tandem_profiles.adapters.taxonomy_file.load_taxonomy``: generated
profiles then name exactly the skills the service accepts. A tool may import a
service's package; a service never imports this one.
"""
