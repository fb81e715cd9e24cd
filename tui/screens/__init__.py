"""One screen per task: patients, a patient, a visit, the calculator, the profile, the replay, help."""
