"""outsource: vendors, outsourcing projects, contracts, vendor SLA, acceptance and scorecards."""
